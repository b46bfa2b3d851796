namespace QwenFastProxy.Http;

/// <summary>The request methods the router distinguishes; anything else is <see cref="Other"/>.</summary>
public enum HttpMethodKind : byte
{
    Other,
    Get,
    Head,
    Post,
    Put,
    Delete,
    Patch,
    Options,
}
