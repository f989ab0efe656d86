// An HTTP hello. ASP.NET Core in the aspnet image listens on :8080 (ASPNETCORE_HTTP_PORTS)
// and stops gracefully on SIGTERM.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.MapGet("/", (string? name) => $"hello, {name ?? "world"}\n");
app.MapGet("/healthz", () => "ok\n");

app.Run();
