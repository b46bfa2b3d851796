namespace QwenFastProxy.Configuration;

/// <summary>How log lines are written (<c>LOG_FORMAT</c>).</summary>
public enum LogFormat
{
    /// <summary>Human-readable text lines (the default).</summary>
    Text,

    /// <summary>One JSON object per line.</summary>
    Json,
}
