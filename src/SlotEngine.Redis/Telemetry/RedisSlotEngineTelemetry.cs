namespace SlotEngine.Redis;

/// <summary>
/// The names of the Redis store's telemetry: two histograms on the meter <see cref="MeterName"/>, the same
/// meter SlotEngine.Hosting publishes its instruments on (<c>.AddMeter("SlotEngine")</c> collects both).
/// </summary>
/// <remarks>
/// Tags follow the OpenTelemetry database-client conventions (<c>db.system.name</c>, <c>db.operation.name</c>,
/// <c>server.address</c>, <c>server.port</c>) and are low-cardinality: never a key, a channel, an argument or anything
/// about a patient. When nobody listens, the store takes no timestamp at all. The client's own spans come from
/// <c>OpenTelemetry.Instrumentation.StackExchangeRedis</c> (see docs/redis.md).
/// </remarks>
public static class RedisSlotEngineTelemetry
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/>: <c>SlotEngine</c>.</summary>
    public const string MeterName = "SlotEngine";

    /// <summary>
    /// Histogram <c>slotengine.redis.round_trip.duration</c> (s): from sending a command (or a script call, or one
    /// command to every primary) to its reply, redirects and a <c>NOSCRIPT</c> resend included; tagged with
    /// <see cref="SystemTag"/>, <see cref="CommandTag"/> and, for commands sent to one server, <see cref="ServerAddressTag"/>
    /// and <see cref="ServerPortTag"/>. Only commands that got a reply are measured (an error reply counts; a lost
    /// connection, a timeout or a cancellation does not).
    /// </summary>
    public const string RoundTripDuration = "slotengine.redis.round_trip.duration";

    /// <summary>
    /// Histogram <c>slotengine.redis.change_feed.lag</c> (s): from a script changing a calendar (Redis's <c>TIME</c>)
    /// to this node applying the change to its read model (this node's clock). Approximate: any skew between the
    /// Redis server's clock and the node's is added to it (negative results are recorded as 0).
    /// </summary>
    public const string ChangeFeedLag = "slotengine.redis.change_feed.lag";

    /// <summary>
    /// Counter <c>slotengine.redis.read_model.reloads</c> ({reload}): calendars this node read back from Redis whole into its
    /// read model (a gap in the feed, a change without a delta, a reconnect, a version check that found a calendar behind,
    /// a calendar seen for the first time). Changes laid in as deltas, and days laid in from their publish's message, are
    /// not reloads; in the steady state it does not move.
    /// </summary>
    public const string Reloads = "slotengine.redis.read_model.reloads";

    /// <summary>Tag <c>db.operation.name</c>: the command's name as sent (<c>EVALSHA</c>, <c>GET</c>, <c>SET</c>, <c>WAIT</c>, <c>PING</c>, …).</summary>
    public const string CommandTag = "db.operation.name";

    /// <summary>Tag <c>db.system.name</c>: always <c>redis</c>.</summary>
    public const string SystemTag = "db.system.name";

    /// <summary>Tag <c>server.address</c>: the host of the server the command went to (absent for a command sent to every primary).</summary>
    public const string ServerAddressTag = "server.address";

    /// <summary>Tag <c>server.port</c>: the port of the server the command went to (absent for a command sent to every primary).</summary>
    public const string ServerPortTag = "server.port";
}
