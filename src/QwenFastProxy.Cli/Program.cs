using QwenFastProxy.Cli;
using QwenFastProxy.Cli.Commands;

return await ProxyCli.RunAsync(args, Environment.GetEnvironmentVariable, Console.Out, Console.Error, ConsoleInfo.FromConsole()).ConfigureAwait(false);
