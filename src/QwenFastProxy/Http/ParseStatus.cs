namespace QwenFastProxy.Http;

/// <summary>Outcome of feeding bytes to one of the incremental HTTP/1.1 parsers.</summary>
internal enum ParseStatus : byte
{
    /// <summary>More bytes are needed; everything consumed so far has been taken.</summary>
    Incomplete,

    /// <summary>The element (head, body) is complete.</summary>
    Complete,

    /// <summary>The input is invalid; the parser's error says how to answer. The connection closes.</summary>
    Error,
}
