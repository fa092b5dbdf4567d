using System.Text.Json.Serialization;

namespace LiveExchange.Hub.ApiDescription;

/// <summary>
/// The HTTP API described as OpenAPI, at /openapi/v1.json and at build time in obj/openapi/, from which
/// src/Web generates its request and response types (`npm run api`), so the browser's copy of the
/// contract cannot drift from the records here.
/// </summary>
public static class ApiDocument
{
    public const string Name = "v1";

    public static WebApplicationBuilder AddApiDocument(this WebApplicationBuilder builder)
    {
        // Numbers are numbers. The web default also reads "5" as 5, which the OpenAPI generator then
        // describes as `integer | string`: every id in the browser would be typed as either.
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        builder.Services.AddOpenApi(Name, options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "LiveExchange";
            document.Info.Description = "Organisers schedule and report; hosts and viewers join with their tokens. Errors are ProblemDetails with a `code`.";
            return Task.CompletedTask;
        }));
        return builder;
    }

    /// <summary>The document is public: it names routes and shapes, never data.</summary>
    public static IEndpointRouteBuilder MapApiDocument(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        return app;
    }
}
