namespace QwenFastProxy.Observability;

/// <summary>Requests, errors and tokens summed over some set of <see cref="UsageEntry"/> rows.</summary>
internal sealed class UsageTotals
{
    public long Requests { get; private set; }

    public long Errors { get; private set; }

    public long PromptTokens { get; private set; }

    public long CompletionTokens { get; private set; }

    public long CachedTokens { get; private set; }

    public long ReasoningTokens { get; private set; }

    public void Add(in UsageEntry entry)
    {
        Requests++;
        if (entry.Error)
        {
            Errors++;
        }
        if (entry.Usage is { } usage)
        {
            PromptTokens += usage.Prompt;
            CompletionTokens += usage.Completion;
            CachedTokens += usage.Cached;
            ReasoningTokens += usage.Reasoning;
        }
    }

    public void Add(UsageTotals other)
    {
        Requests += other.Requests;
        Errors += other.Errors;
        PromptTokens += other.PromptTokens;
        CompletionTokens += other.CompletionTokens;
        CachedTokens += other.CachedTokens;
        ReasoningTokens += other.ReasoningTokens;
    }
}
