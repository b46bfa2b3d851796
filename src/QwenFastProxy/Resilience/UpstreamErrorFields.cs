namespace QwenFastProxy.Resilience;

/// <summary>
/// The <c>code</c>, <c>type</c> and <c>message</c> of an upstream error body, as UTF-8 without JSON escapes, each
/// empty when absent. The spans point into the body or into the scratch the reader was given.
/// </summary>
internal readonly ref struct UpstreamErrorFields
{
    public UpstreamErrorFields(ReadOnlySpan<byte> code, ReadOnlySpan<byte> type, ReadOnlySpan<byte> message)
    {
        Code = code;
        Type = type;
        Message = message;
    }

    /// <summary><c>error.code</c>, or DashScope's top-level <c>code</c> (<c>Arrearage</c>, <c>Throttling.AllocationQuota</c>…).</summary>
    public ReadOnlySpan<byte> Code { get; }

    /// <summary><c>error.type</c> (OpenAI style puts <c>insufficient_quota</c> here as well as in the code).</summary>
    public ReadOnlySpan<byte> Type { get; }

    /// <summary><c>error.message</c>, DashScope's top-level <c>message</c>, or <c>error</c> itself when it is a string.</summary>
    public ReadOnlySpan<byte> Message { get; }
}
