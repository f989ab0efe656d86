// The shop's API: ASP.NET Core on :8080 (ASPNETCORE_HTTP_PORTS), stopping gracefully on SIGTERM.
using Shop.Domain;

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.MapGet("/orders/{id:int}", (int id) => Order.Describe(id));
app.MapGet("/healthz", () => "ok\n");

app.Run();
