using System.Text;
using QwenFastProxy.Resilience;

namespace QwenFastProxy.Tests.Resilience;

public sealed class UpstreamErrorBodyTests
{
    [Theory]
    [InlineData("""{"error":{"code":"c","type":"t","message":"m"}}""", "c", "t", "m")]
    [InlineData("""{"code":"Arrearage","message":"Access denied.","request_id":"x"}""", "Arrearage", "", "Access denied.")]
    [InlineData("""{"error":"Coding Plan is currently only available for Coding Agents"}""", "", "", "Coding Plan is currently only available for Coding Agents")]
    // The error object wins over top-level members on either side of it.
    [InlineData("""{"code":"top","error":{"code":"inner","message":"m"},"message":"top"}""", "inner", "", "m")]
    [InlineData("""{"error":{"code":"insufficient_\u0071uota","message":"a\u0020b"}}""", "insufficient_quota", "", "a b")]
    // A cut inside the message keeps the code.
    [InlineData("""{"error":{"code":"c","message":"unfinish""", "c", "", "")]
    [InlineData("<html>403</html>", "", "", "")]
    public void ReadsCodeTypeAndMessage(string body, string code, string type, string message)
    {
        Span<byte> scratch = stackalloc byte[3 * UpstreamErrorBody.ScratchBytesPerField];
        var error = UpstreamErrorBody.Read(Encoding.UTF8.GetBytes(body), scratch);

        Assert.Equal(code, Encoding.UTF8.GetString(error.Code));
        Assert.Equal(type, Encoding.UTF8.GetString(error.Type));
        Assert.Equal(message, Encoding.UTF8.GetString(error.Message));
    }
}
