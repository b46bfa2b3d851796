using System.Globalization;

namespace QwenFastProxy.StreamLoad;

/// <summary><c>--name value</c> options, then everything after <c>--</c> as a command line of its own.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);

    /// <summary>What followed <c>--</c> (the binary to start and its arguments), empty when there was none.</summary>
    public IReadOnlyList<string> Rest { get; private init; } = [];

    public static Arguments Parse(ReadOnlySpan<string> args)
    {
        var parsed = new Arguments();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--")
            {
                return new Arguments { Rest = args[(i + 1)..].ToArray() }.With(parsed._options);
            }

            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --name value, got '{args[i]}'");
            }

            parsed._options[args[i][2..]] = args[++i];
        }

        return parsed;
    }

    public string? Text(string name) => _options.TryGetValue(name, out var value) ? value : null;

    public string RequiredText(string name) => Text(name) ?? throw new ArgumentException($"--{name} is required");

    public int Integer(string name, int fallback, int min)
    {
        if (Text(name) is not { } text)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min)
        {
            throw new ArgumentException($"--{name} must be an integer >= {min}, got '{text}'");
        }

        return value;
    }

    private Arguments With(Dictionary<string, string> options)
    {
        foreach (var (key, value) in options)
        {
            _options[key] = value;
        }

        return this;
    }
}
