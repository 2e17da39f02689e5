namespace SlotEngine;

/// <summary>What registering a wish returns: names the wish for cancel and inspection.</summary>
/// <param name="Scope">The wish's scope.</param>
/// <param name="Id">The wish's number in its scope, in order of registration.</param>
public readonly record struct WishTicket(WaitlistScope Scope, long Id)
{
    /// <summary>Whether this is the default value (no wish).</summary>
    public bool IsDefault => Id == 0;

    /// <inheritdoc />
    public override string ToString() => $"wish {Id} ({Scope})";
}
