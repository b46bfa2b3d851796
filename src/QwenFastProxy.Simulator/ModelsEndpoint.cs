using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the models of Qwen's OAuth era.</summary>
internal static class ModelsEndpoint
{
    public const string Path = "/v1/models";
    public const string ItemPrefix = "/v1/models/";

    // Fixed timestamps keep the listing byte-identical between runs.
    private static readonly (string Id, long Created)[] Models =
    [
        ("qwen3-coder-plus", 1753142400),
        ("qwen3-coder-flash", 1753920000),
    ];

    public static Task<bool> ListAsync(HttpContext context, SimulatorState state)
    {
        if (!BearerAuthorization.IsAuthorized(context.Request, state.Options.RequiredBearerToken))
        {
            return ErrorResponse.InvalidApiKeyAsync(context, state.Ids);
        }

        var json = JsonResponse.Begin();
        json.WriteStartObject();
        json.WriteString("object"u8, "list"u8);
        json.WriteStartArray("data"u8);
        foreach (var (id, created) in Models)
        {
            WriteModel(json, id, created);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        return JsonResponse.SendAsync(context, StatusCodes.Status200OK);
    }

    public static Task<bool> RetrieveAsync(HttpContext context, SimulatorState state, string modelId)
    {
        if (!BearerAuthorization.IsAuthorized(context.Request, state.Options.RequiredBearerToken))
        {
            return ErrorResponse.InvalidApiKeyAsync(context, state.Ids);
        }

        foreach (var (id, created) in Models)
        {
            if (id == modelId)
            {
                var json = JsonResponse.Begin();
                WriteModel(json, id, created);
                return JsonResponse.SendAsync(context, StatusCodes.Status200OK);
            }
        }

        return ErrorResponse.SendAsync(context, state.Ids, StatusCodes.Status404NotFound, "model_not_found",
            $"The model `{modelId}` does not exist or you do not have access to it.");
    }

    private static void WriteModel(Utf8JsonWriter json, string id, long created)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, id);
        json.WriteString("object"u8, "model"u8);
        json.WriteNumber("created"u8, created);
        json.WriteString("owned_by"u8, "qwen"u8);
        json.WriteEndObject();
    }
}
