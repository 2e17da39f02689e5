using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

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
    /// The host's multiplexer, shared: the store runs its commands and subscriptions on it and never disposes it.
    /// Takes precedence over <see cref="Configuration"/> and <see cref="ConnectionString"/> (which then only serve the
    /// durable connections, see <see cref="DurableConnections"/>).
    /// <value>The default is <see langword="null"/>.</value>
    /// </summary>
    public IConnectionMultiplexer? Multiplexer { get; set; }

    /// <summary>
    /// Where Redis is and how to connect, as StackExchange.Redis options (endpoints, Sentinel <c>ServiceName</c>, TLS
    /// and certificate validation, credentials, timeouts, <c>AbortOnConnectFail</c>, RESP3). The store opens its own
    /// multiplexer from a copy and disposes it. Takes precedence over <see cref="ConnectionString"/>.
    /// <value>The default is <see langword="null"/>.</value>
    /// </summary>
    public ConfigurationOptions? Configuration { get; set; }

    /// <summary>
    /// Where Redis is, as a StackExchange.Redis connection string (for example
    /// <c>redis1:6379,redis2:6379,password=…,ssl=true,abortConnect=false</c> or <c>sentinel:26379,serviceName=mymaster</c>).
    /// With <c>abortConnect=false</c> the store starts while Redis is away, reports unhealthy, and recovers when it arrives.
    /// <value>The default is <see langword="null"/>.</value>
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Where the store logs (connection lost and restored, read-model resyncs, replica shortfalls, persistence
    /// risks), under the category <c>SlotEngine.Redis</c>. Nothing about a patient is ever logged.
    /// <value>The default is <see langword="null"/>: no logging.</value>
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// How often the read model's versions are compared with Redis's, to reload calendars whose feed messages were
    /// lost (a subscription renewed late, a failover). <see langword="null"/> turns the check off (and with it the node's
    /// checkpoint requests: no round trip of its own in the background).
    /// <value>The default is 30 seconds.</value>
    /// </summary>
    public TimeSpan? VersionCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// With <see cref="WaitForReplicas"/> above 0: how many connections of its own the store opens for bookings and
    /// their <c>WAIT</c>. <c>WAIT</c> blocks the connection it is sent on, so it never runs on the shared multiplexer;
    /// each durable connection carries one booking's <c>WAIT</c> at a time.
    /// <value>The default is 4.</value>
    /// </summary>
    public int DurableConnections { get; set; } = 4;

    /// <summary>
    /// How many scripts this node has in flight to Redis at once; the node's further calls wait in the node, in
    /// arrival order, until one completes. <see langword="null"/>: no bound.
    /// <value>The default is <see langword="null"/> (no bound).</value>
    /// </summary>
    /// <remarks>
    /// Redis runs every command that arrived in one turn of its event loop before it writes any reply or feed message,
    /// so every script queued at Redis holds back the feed messages of the scripts beside it: the other nodes' read
    /// models lag by about the number of scripts queued times a script's cost. A few in flight keep Redis busy; past
    /// that, more only lengthen its turns (measured in docs/redis-scale.md, "Staleness at 64 workers"). Size it so that
    /// the nodes' sum stays near what saturates a primary, not at the number of requests an API node serves at once.
    /// Whole-calendar loads (a warm-up, a resync) are not counted: they publish nothing, are bounded by their own
    /// batches, and need their pipelining.
    /// A bound costs CPU on both sides: fewer commands per turn means more socket reads, writes and thread wake-ups per
    /// booking. On one node over one primary, a quiet machine, nationwide, a bound of 8 took the client's CPU per
    /// booking from 47 to 109 µs and Redis's from 66 to 94 µs, for a staleness p99 that was 2 ms without it; so it is
    /// off by default, for a deployment whose nodes together keep far more scripts queued than a primary can run
    /// (docs/redis-scale.md, "The bound on scripts in flight, off by default").
    /// </remarks>
    public int? MaxScriptsInFlight { get; set; }

    /// <summary>
    /// Whether the store services the sockets of the multiplexers it makes itself (from <see cref="Configuration"/> or
    /// <see cref="ConnectionString"/>) through StackExchange.Redis's transport seam: a thread that writes a command sends it
    /// (coalescing with other threads' sends), and one reader thread per connection hands replies and feed messages to
    /// the client's parser, instead of the client's writer thread woken per command (or its pool writer) and the runtime's
    /// socket engine. StackExchange.Redis still formats and parses everything. Ignored with TLS or a
    /// <see cref="ConfigurationOptions.Tunnel"/> of the host's; a shared <see cref="Multiplexer"/> keeps its own sockets (the
    /// durable connections the store opens beside it use the store's). Uses the client's experimental transport API
    /// (<c>SER009</c> in StackExchange.Redis 3.4). Measured in docs/redis-scale.md ("Client CPU, tenth round").
    /// <value>The default is <see langword="false"/>.</value>
    /// </summary>
    public bool StoreSockets { get; set; }

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
    /// What to do at start-up when persistence is off or <c>maxmemory-policy</c> could evict keys. With
    /// <c>abortConnect=false</c> and Redis reached only after start, the check runs then and can only warn.
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
    /// With <see cref="SlotEngineOptions.Audit"/> on: about how many of the newest records each calendar's audit stream
    /// keeps. Each sweep of a calendar (<see cref="RedisSlotEngine.SweepAsync"/>, <see cref="SweepInterval"/>, the hosted
    /// sweeper) trims its stream with <c>XTRIM … MAXLEN ~ n</c> in the sweep script itself (no round trip of its own; Redis
    /// trims whole stream nodes, so a few more records may stay, and the stream grows past the limit between sweeps). The
    /// scripts that append records are unchanged: no cost per transition. A trimmed record can no longer be read or
    /// replayed (<see cref="AuditReplay"/> needs a calendar's stream from its start): a host that must keep every record
    /// reads and archives them and trims by position with <see cref="RedisSlotEngine.TrimAuditAsync"/>, leaving this off.
    /// See docs/lifecycle.md.
    /// <value>The default is 0: off, streams are kept until trimmed (they also outlive a withdraw of their day).</value>
    /// </summary>
    public int AuditStreamMaxLength { get; set; }

    /// <summary>
    /// Creates the meter <see cref="RedisSlotEngineTelemetry.MeterName"/> that Redis round trips and change-feed lag
    /// are recorded on (see <see cref="RedisSlotEngineTelemetry"/>); SlotEngine.Hosting sets the container's.
    /// <value>The default is <see langword="null"/>: one static meter shared by every store in the process.</value>
    /// </summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>The configuration the store connects with (a copy is made at connect): null when only a multiplexer was given.</summary>
    internal ConfigurationOptions? ResolveConfiguration() =>
        Configuration ?? (string.IsNullOrWhiteSpace(ConnectionString) ? null : ConfigurationOptions.Parse(ConnectionString));

    /// <summary>How long a caller waits for a calendar to load: a connect and two command timeouts.</summary>
    internal TimeSpan LoadBound(IConnectionMultiplexer multiplexer)
    {
        var configuration = ResolveConfiguration();
        var connect = configuration?.ConnectTimeout ?? 5000;
        var command = configuration?.AsyncTimeout ?? multiplexer.TimeoutMilliseconds;
        return TimeSpan.FromMilliseconds(connect + (2L * command));
    }

    /// <summary>Checks every setting and names the first that is wrong.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (Multiplexer is null && Configuration is null && string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("RedisSlotEngineOptions needs a Multiplexer, a Configuration or a ConnectionString.", nameof(ConnectionString));
        }

        if (Multiplexer is null && Configuration is null)
        {
            try
            {
                _ = ConfigurationOptions.Parse(ConnectionString!);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException("RedisSlotEngineOptions.ConnectionString is not a valid StackExchange.Redis connection string: " + e.Message, nameof(ConnectionString), e);
            }
        }

        if (AuditStreamMaxLength < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(AuditStreamMaxLength), AuditStreamMaxLength, "RedisSlotEngineOptions.AuditStreamMaxLength must be 0 (off) or more.");
        }

        if (MaxScriptsInFlight is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxScriptsInFlight), MaxScriptsInFlight, "RedisSlotEngineOptions.MaxScriptsInFlight must be null (no bound) or 1 or more.");
        }

        if (DurableConnections is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(DurableConnections), DurableConnections, "RedisSlotEngineOptions.DurableConnections must be between 1 and 64.");
        }

        if (VersionCheckInterval is { } check && check < TimeSpan.FromMilliseconds(100))
        {
            throw new ArgumentOutOfRangeException(nameof(VersionCheckInterval), check, "RedisSlotEngineOptions.VersionCheckInterval must be at least 100 ms.");
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

/// <summary>A failure of SlotEngine's own on Redis (not the client's): a script answered what the store does not expect.</summary>
public class SlotEngineRedisException : RedisException
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public SlotEngineRedisException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public SlotEngineRedisException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A booking took effect on the Redis primary, but fewer than <see cref="RedisSlotEngineOptions.WaitForReplicas"/>
/// replicas acknowledged it in time: a failover now could lose it. Confirming again is safe (it succeeds
/// again and waits again).
/// </summary>
public sealed class ReplicationTimeoutException : SlotEngineRedisException
{
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

/// <summary>
/// The Redis store under the key prefix was written in another stored layout than this build reads and writes (another
/// build's keys and fields), so the store refuses to start rather than misread calendars and claims. Thrown at start; the
/// message names both versions and what to do (docs/redis.md, "Stored layout").
/// </summary>
public sealed class StoreLayoutException : SlotEngineRedisException
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public StoreLayoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public StoreLayoutException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The key prefix of the store that was refused.</summary>
    public string KeyPrefix { get; init; } = "";

    /// <summary>
    /// The store's layout version: 1 for a store with data and no recorded version (the builds before the layout guard),
    /// null when the recorded value is not a number.
    /// </summary>
    public int? StoredVersion { get; init; }

    /// <summary>The layout version this build reads and writes.</summary>
    public int ExpectedVersion { get; init; }
}
