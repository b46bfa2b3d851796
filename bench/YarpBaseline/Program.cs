// Minimal YARP peer for bench/load/compare.sh: one route (everything) to one cluster (the simulator).
//   YarpBaseline PORT UPSTREAM_URL      e.g. YarpBaseline 18145 http://127.0.0.1:18080/
// Kestrel on 127.0.0.1 only, logging off, no other middleware.
using System.Globalization;
using Yarp.ReverseProxy.Configuration;

var port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 18145;
var upstream = args.Length > 1 ? args[1] : "http://127.0.0.1:18080/";

var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = args });
builder.WebHost.UseKestrelCore();
builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port));
builder.Logging.ClearProviders();
builder.Services.AddRouting();
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "sim", Match = new RouteMatch { Path = "{**catch-all}" } }],
    [new ClusterConfig
    {
        ClusterId = "sim",
        Destinations = new Dictionary<string, DestinationConfig> { ["sim"] = new() { Address = upstream } },
    }]);

var app = builder.Build();
app.UseRouting();
app.MapReverseProxy();
Console.WriteLine($"yarp baseline on http://127.0.0.1:{port} -> {upstream}");
app.Run();
