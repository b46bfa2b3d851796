namespace QwenFastProxy.Auth;

/// <summary>
/// The login or a token request failed in a way the user has to hear about. The message is written for a
/// person, names what to do where that is known, and never contains a token or device code.
/// </summary>
internal sealed class OAuthException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OAuthException()
    {
    }

    /// <summary>Creates the exception with a message for the user.</summary>
    public OAuthException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message for the user and the underlying cause.</summary>
    public OAuthException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
