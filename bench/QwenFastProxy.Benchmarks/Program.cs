using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/QwenFastProxy.Benchmarks -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
