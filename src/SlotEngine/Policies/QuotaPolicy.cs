namespace SlotEngine;

/// <summary>
/// The per-patient quotas the engine enforces on every hold and book. Immutable. The default,
/// <see cref="Mhrs"/>, is MHRS's rule: one appointment per clinic per day and two per facility per
/// day. Quotas hold under concurrency: two threads can never both pass the same limit.
/// </summary>
public sealed class QuotaPolicy
{
    /// <summary>The largest limit a rule may set.</summary>
    public const int MaxLimit = 8;

    private readonly QuotaRule[] _rules;

    /// <summary>Creates a policy from rules.</summary>
    /// <param name="rules">The rules; each scope at most once.</param>
    /// <exception cref="ArgumentException">A limit is out of range or a scope repeats.</exception>
    public QuotaPolicy(IEnumerable<QuotaRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = rules.ToArray();
        for (var i = 0; i < _rules.Length; i++)
        {
            if (_rules[i].MaxPerDay < 1 || _rules[i].MaxPerDay > MaxLimit)
            {
                throw new ArgumentOutOfRangeException(nameof(rules), _rules[i].MaxPerDay, $"A quota limit must be from 1 to {MaxLimit}.");
            }

            for (var j = 0; j < i; j++)
            {
                if (_rules[j].Scope == _rules[i].Scope)
                {
                    throw new ArgumentException($"The quota scope {_rules[i].Scope} appears twice.", nameof(rules));
                }
            }
        }
    }

    /// <summary>MHRS: one per clinic per day, two per facility per day.</summary>
    public static QuotaPolicy Mhrs { get; } = new([new QuotaRule(QuotaScope.Clinic, 1), new QuotaRule(QuotaScope.Facility, 2)]);

    /// <summary>No quotas.</summary>
    public static QuotaPolicy None { get; } = new([]);

    /// <summary>The rules.</summary>
    public IReadOnlyList<QuotaRule> Rules => _rules;

    internal ReadOnlySpan<QuotaRule> RuleSpan => _rules;
}
