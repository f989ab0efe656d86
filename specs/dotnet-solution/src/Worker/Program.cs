// A background worker of the shop: its own image, never part of the API's build.
var builder = Host.CreateApplicationBuilder(args);
builder.Build().Run();
