using QwenFastProxy.Cli;
using QwenFastProxy.Cli.Commands;
using QwenFastProxy.Cli.Hosting;

EventThreads.Configure(); // before any socket exists: the runtime reads the switch once

return await ProxyCli.RunAsync(args, Environment.GetEnvironmentVariable, Console.Out, Console.Error, ConsoleInfo.FromConsole()).ConfigureAwait(false);
