using QwenFastProxy.Cli;

return await ProxyCli.RunAsync(args, Environment.GetEnvironmentVariable, Console.Out, Console.Error).ConfigureAwait(false);
