using System.Diagnostics.Metrics;

namespace SlotEngine.Redis;

/// <summary>What <see cref="RedisSlotEngine"/> does when Redis could lose calendars (no persistence, or an eviction policy that may evict them).</summary>
public enum PersistenceCheckMode
{
    /// <summary>Do not look.</summary>
    Off = 0,

    /// <summary>Report each risk through <see cref="RedisSlotEngineOptions.Warning"/> and <see cref="RedisSlotEngine.PersistenceWarnings"/>, and go on.</summary>
    Warn,

    /// <summary>Refuse to start: <see cref="RedisSlotEngine.ConnectAsync"/> throws.</summary>
    Refuse,
}

/// <summary>Settings of a <see cref="RedisSlotEngine"/>. Validated by <see cref="RedisSlotEngine.ConnectAsync"/>; read once.</summary>
public sealed class RedisSlotEngineOptions
{
    /// <summary>
    /// Where Redis is, in the form <c>host:port,host:port,user=…,password=…,ssl=true,connectTimeout=…</c>
    /// (see <see cref="RedisConnectionOptions.Parse(string)"/>). Ignored when <see cref="Connection"/> is set.
    /// <value>The default is <see langword="null"/>.</value>
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Where Redis is, as options (takes precedence over <see cref="ConnectionString"/>).
    /// <value>The default is <see langword="null"/>.</value>
    /// </summary>
    public RedisConnectionOptions? Connection { get; set; }

    /// <summary>
    /// The shared rules (zone, booking window, cutoff, quotas, patient key secret). Every node of one
    /// deployment needs equal settings and the same <see cref="SlotEngineOptions.PatientKeyHasher"/> secret,
    /// which is required here (no random default): <see cref="RedisSlotEngine.ConnectAsync"/> refuses to start
    /// without one, and refuses a secret other than the one the deployment's first node stored a fingerprint of.
    /// Its <see cref="SlotEngineOptions.TimeProvider"/> serves the local read model only: holds, the
    /// booking window and the cutoff are judged by Redis's own <c>TIME</c>.
    /// <value>The default is a new <see cref="SlotEngineOptions"/>.</value>
    /// </summary>
    public SlotEngineOptions Engine { get; set; } = new();

    /// <summary>
    /// Put in front of every key and channel, so that several deployments (or tests) share one Redis.
    /// Must not contain <c>{</c> or <c>}</c> (they would change the hash tag).
    /// <value>The default is <c>se:</c>.</value>
    /// </summary>
    public string KeyPrefix { get; set; } = "se:";

    /// <summary>
    /// How long an idempotency key is remembered. <see langword="null"/> takes <see cref="SlotEngineOptions.IdempotencyRetention"/>.
    /// <value>The default is <see langword="null"/> (24 hours unless the engine options say otherwise).</value>
    /// </summary>
    public TimeSpan? IdempotencyRetention { get; set; }

    /// <summary>
    /// How many replicas must acknowledge a booking (a direct book or a confirm) before it returns
    /// (<c>WAIT</c>). 0 does not wait. See <see cref="ReplicationTimeoutException"/>.
    /// <value>The default is 0.</value>
    /// </summary>
    public int WaitForReplicas { get; set; }

    /// <summary>
    /// How long a booking waits for <see cref="WaitForReplicas"/> replicas.
    /// <value>The default is 1 second.</value>
    /// </summary>
    public TimeSpan WaitForReplicasTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// What to do at start-up when persistence is off or <c>maxmemory-policy</c> could evict keys.
    /// <value>The default is <see cref="PersistenceCheckMode.Warn"/>.</value>
    /// </summary>
    public PersistenceCheckMode PersistenceCheck { get; set; } = PersistenceCheckMode.Warn;

    /// <summary>
    /// Receives start-up warnings (persistence) and read-model reload failures.
    /// <value>The default is <see langword="null"/>.</value>
    /// </summary>
    public Action<string>? Warning { get; set; }

    /// <summary>
    /// How long a quota entry taken for a claim in progress stays reserved; the claim must reach its
    /// calendar before this lease ends (by the calendar's Redis clock) or it is refused and retried.
    /// <value>The default is 10 seconds.</value>
    /// </summary>
    public TimeSpan QuotaLease { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How far the clocks of two Redis primaries may disagree. A quota entry is only questioned after
    /// its lease plus this allowance. See docs/quotas-distributed.md.
    /// <value>The default is 2 seconds.</value>
    /// </summary>
    public TimeSpan ClockSkewAllowance { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// When set, a background sweeper frees expired holds of this node's calendars at this interval
    /// (holds also expire lazily, inside every claim script).
    /// <value>The default is <see langword="null"/>: no sweeper.</value>
    /// </summary>
    public TimeSpan? SweepInterval { get; set; }

    /// <summary>
    /// Creates the meter <see cref="RedisSlotEngineTelemetry.MeterName"/> that Redis round trips and change-feed lag
    /// are recorded on (see <see cref="RedisSlotEngineTelemetry"/>); SlotEngine.Hosting sets the container's.
    /// <value>The default is <see langword="null"/>: one static meter shared by every store in the process.</value>
    /// </summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Checks every setting and names the first that is wrong.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (Connection is null && string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("RedisSlotEngineOptions needs a ConnectionString or a Connection.", nameof(ConnectionString));
        }

        if (Engine is null)
        {
            throw new ArgumentException("RedisSlotEngineOptions.Engine is required.", nameof(Engine));
        }

        Engine.Validate();
        if (Engine.PatientKeyHasher is null)
        {
            throw new ArgumentException(
                "RedisSlotEngineOptions.Engine.PatientKeyHasher is required: every node sharing Redis must hash national IDs with the same secret " +
                "(set SlotEngineOptions.PatientKeyHasher, e.g. PatientKeyHasher.FromSecret(secret); with SlotEngine.Hosting, the configuration value SlotEngine:PatientKeySecret).",
                nameof(Engine));
        }

        if (KeyPrefix is null || KeyPrefix.Contains('{', StringComparison.Ordinal) || KeyPrefix.Contains('}', StringComparison.Ordinal))
        {
            throw new ArgumentException("RedisSlotEngineOptions.KeyPrefix is required and must not contain '{' or '}'.", nameof(KeyPrefix));
        }

        if (IdempotencyRetention is { } retention && retention < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(IdempotencyRetention), retention, "RedisSlotEngineOptions.IdempotencyRetention must be at least 1 ms.");
        }

        if (WaitForReplicas < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(WaitForReplicas), WaitForReplicas, "RedisSlotEngineOptions.WaitForReplicas cannot be negative.");
        }

        if (WaitForReplicasTimeout < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(WaitForReplicasTimeout), WaitForReplicasTimeout, "RedisSlotEngineOptions.WaitForReplicasTimeout must be at least 1 ms.");
        }

        if (QuotaLease < TimeSpan.FromMilliseconds(100))
        {
            throw new ArgumentOutOfRangeException(nameof(QuotaLease), QuotaLease, "RedisSlotEngineOptions.QuotaLease must be at least 100 ms.");
        }

        if (ClockSkewAllowance < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ClockSkewAllowance), ClockSkewAllowance, "RedisSlotEngineOptions.ClockSkewAllowance cannot be negative.");
        }

        if (SweepInterval is { } sweep && sweep < TimeSpan.FromMilliseconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(SweepInterval), sweep, "RedisSlotEngineOptions.SweepInterval must be at least 10 ms.");
        }
    }
}

/// <summary>
/// A booking took effect on the Redis primary, but fewer than <see cref="RedisSlotEngineOptions.WaitForReplicas"/>
/// replicas acknowledged it in time: a failover now could lose it. Confirming again is safe (it succeeds
/// again and waits again).
/// </summary>
public sealed class ReplicationTimeoutException : RedisException
{
    /// <summary>Creates the exception.</summary>
    public ReplicationTimeoutException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public ReplicationTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public ReplicationTimeoutException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The reservation that was booked (it may still be there after a failover, or not).</summary>
    public Reservation Reservation { get; init; }

    /// <summary>How many replicas acknowledged.</summary>
    public int Acknowledged { get; init; }
}
