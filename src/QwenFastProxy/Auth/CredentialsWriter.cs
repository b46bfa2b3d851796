using System.Buffers;
using System.Text.Json;

namespace QwenFastProxy.Auth;

/// <summary>Serialises credentials in the shape Qwen Code and the Go proxy this one replaces write.</summary>
internal static class CredentialsWriter
{
    /// <summary><c>{"access_token","token_type","refresh_token","resource_url","expiry_date"}</c>, indented; absent values are left out.</summary>
    public static byte[] ToJson(QwenCredentials credentials)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("access_token"u8, credentials.AccessToken);
            json.WriteString("token_type"u8, credentials.TokenType ?? "Bearer");
            if (credentials.RefreshToken is not null)
            {
                json.WriteString("refresh_token"u8, credentials.RefreshToken);
            }

            if (credentials.ResourceUrl is not null)
            {
                json.WriteString("resource_url"u8, credentials.ResourceUrl);
            }

            if (credentials.ExpiryDate is { } expiry)
            {
                json.WriteNumber("expiry_date"u8, expiry.ToUnixTimeMilliseconds());
            }

            json.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
