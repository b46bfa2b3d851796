using System.Text.Json;

namespace QwenFastProxy.Configuration;

/// <summary>
/// Model names a client insists on, mapped to Qwen models (<c>MODEL_ALIASES</c>, e.g.
/// <c>claude-*=qwen3-coder-plus,gpt-4o=qwen3-max</c>): a pattern is a name, or a prefix ending in <c>*</c>;
/// names compare case-sensitively, as Qwen's do; the first rule that matches wins.
/// </summary>
public sealed class ModelAliases
{
    private readonly Rule[] _rules;

    private ModelAliases(Rule[] rules) => _rules = rules;

    /// <summary>No aliases.</summary>
    public static ModelAliases None { get; } = new([]);

    /// <summary>Number of rules.</summary>
    public int Count => _rules.Length;

    /// <summary>Reads <c>pattern=model</c> pairs separated by commas; false with the reason when one does not parse.</summary>
    public static bool TryParse(string text, out ModelAliases aliases, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        aliases = None;
        var rules = new List<Rule>();
        foreach (var pair in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var pattern = equals < 0 ? "" : pair[..equals].Trim();
            var target = equals < 0 ? "" : pair[(equals + 1)..].Trim();
            var prefix = pattern.EndsWith('*');
            var stem = prefix ? pattern[..^1] : pattern;
            if (stem.Length == 0 || target.Length == 0 || stem.Contains('*', StringComparison.Ordinal) || !IsName(stem) || !IsName(target))
            {
                error = $"'{pair}' is not pattern=model (a model name, or a prefix ending in *, then the Qwen model; no spaces)";
                return false;
            }
            rules.Add(new Rule(stem, prefix, target, JsonEncodedText.Encode(target)));
        }
        if (rules.Count == 0)
        {
            error = "no pattern=model pair found";
            return false;
        }
        aliases = new ModelAliases([.. rules]);
        error = null;
        return true;
    }

    /// <summary>The Qwen model for <paramref name="requested"/>, JSON-encoded for splicing, or false when no rule matches.</summary>
    public bool TryResolve(string? requested, out string model, out JsonEncodedText encoded)
    {
        if (requested is not null)
        {
            foreach (var rule in _rules)
            {
                if (rule.Prefix ? requested.StartsWith(rule.Stem, StringComparison.Ordinal) : requested == rule.Stem)
                {
                    model = rule.Target;
                    encoded = rule.Encoded;
                    return true;
                }
            }
        }
        model = "";
        encoded = default;
        return false;
    }

    /// <summary>The rules as they would be written in <c>MODEL_ALIASES</c>.</summary>
    public override string ToString() => string.Join(',', _rules.Select(r => $"{r.Stem}{(r.Prefix ? "*" : "")}={r.Target}"));

    private static bool IsName(string name) => name.All(c => c is > ' ' and <= '~' and not ',' and not '=');

    private readonly record struct Rule(string Stem, bool Prefix, string Target, JsonEncodedText Encoded);
}
