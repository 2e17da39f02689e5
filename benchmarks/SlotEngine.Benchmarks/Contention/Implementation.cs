namespace SlotEngine.Benchmarks.Contention;

/// <summary>Which claim store a contention benchmark drives.</summary>
public enum Implementation
{
    /// <summary>The bare CAS floor on one word per calendar.</summary>
    Floor,

    /// <summary>The engine's public API: book + release, no quotas.</summary>
    Engine,

    /// <summary>The lock-per-calendar <c>bool[]</c> peer.</summary>
    LockPeer,

    /// <summary>The <c>ConcurrentDictionary</c>-of-slots peer.</summary>
    DictionaryPeer,
}
