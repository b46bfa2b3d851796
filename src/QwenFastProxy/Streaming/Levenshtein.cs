using System.Buffers;

namespace QwenFastProxy.Streaming;

/// <summary>
/// Edit distance between two byte spans, for the stutter detector's similarity factor. Done the fast way
/// (as Quickenshtein does): the common prefix and suffix are trimmed first, the shorter span drives the
/// inner loop, and the single DP row lives on the stack (or in a pooled array when long), so a call
/// allocates nothing. Inputs are bounded by the caller: the detector only compares short windows.
/// </summary>
internal static class Levenshtein
{
    private const int StackRowLimit = 256;

    public static int Distance(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var prefix = a.CommonPrefixLength(b);
        a = a[prefix..];
        b = b[prefix..];
        var suffix = 0;
        while (suffix < a.Length && suffix < b.Length && a[^(suffix + 1)] == b[^(suffix + 1)])
        {
            suffix++;
        }
        a = a[..^suffix];
        b = b[..^suffix];
        if (a.Length > b.Length)
        {
            var swap = a;
            a = b;
            b = swap;
        }
        if (a.IsEmpty)
        {
            return b.Length;
        }

        int[]? rented = null;
        var row = a.Length + 1 <= StackRowLimit
            ? stackalloc int[a.Length + 1]
            : (rented = ArrayPool<int>.Shared.Rent(a.Length + 1)).AsSpan(0, a.Length + 1);
        try
        {
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = i;
            }
            for (var j = 1; j <= b.Length; j++)
            {
                var diagonal = row[0];
                row[0] = j;
                var bj = b[j - 1];
                for (var i = 1; i <= a.Length; i++)
                {
                    var above = row[i];
                    var cost = a[i - 1] == bj ? 0 : 1;
                    row[i] = Math.Min(Math.Min(row[i - 1] + 1, above + 1), diagonal + cost);
                    diagonal = above;
                }
            }
            return row[a.Length];
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    /// <summary>1 for equal spans, towards 0 as they differ (distance over the longer length).</summary>
    public static double Similarity(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var longer = Math.Max(a.Length, b.Length);
        return longer == 0 ? 1 : 1 - (double)Distance(a, b) / longer;
    }
}
