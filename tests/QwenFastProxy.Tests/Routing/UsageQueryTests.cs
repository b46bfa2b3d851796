using System.Text;
using QwenFastProxy.Http;
using QwenFastProxy.Routing;

namespace QwenFastProxy.Tests.Routing;

public sealed class UsageQueryTests
{
    [Theory]
    [InlineData("/usage", true, true, false, null, null)]
    [InlineData("/usage?group_by=key", true, false, false, null, null)]
    [InlineData("/usage?group_by=model&format=csv", false, true, true, null, null)]
    [InlineData("/usage?group_by=model%2Ckey", true, true, false, null, null)]
    [InlineData("/usage?group_by=day&from=2026-12-01&to=2026-12-05", false, false, false, "2026-12-01", "2026-12-05")]
    [InlineData("/usage?format=json&", true, true, false, null, null)]
    public void ReadsEveryParameter(string target, bool byKey, bool byModel, bool csv, string? from, string? to)
    {
        Assert.True(UsageQuery.TryParse(Encoding.ASCII.GetBytes(target), new RequestHeaders(1024), out var query, out var error), error);
        Assert.Equal(new UsageQuery(byKey, byModel, csv, from is null ? null : DateOnly.Parse(from, System.Globalization.CultureInfo.InvariantCulture), to is null ? null : DateOnly.Parse(to, System.Globalization.CultureInfo.InvariantCulture)), query);
    }

    [Theory]
    [InlineData("/usage?group_by=user", "group_by 'user'")]
    [InlineData("/usage?group_by=key,key", "group_by 'key,key'")]
    [InlineData("/usage?format=xml", "format 'xml'")]
    [InlineData("/usage?from=12/05/2026", "from '12/05/2026'")]
    [InlineData("/usage?from=2026-12-06&to=2026-12-05", "is after")]
    [InlineData("/usage?key=abc", "Unknown parameter 'key'")]
    public void ABadParameterIsNamedInTheError(string target, string expected)
    {
        Assert.False(UsageQuery.TryParse(Encoding.ASCII.GetBytes(target), new RequestHeaders(1024), out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
