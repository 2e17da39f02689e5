namespace SlotEngine.Redis;

/// <summary>
/// The names of the Redis store's telemetry: two histograms on the meter <see cref="MeterName"/>, the same
/// meter SlotEngine.Hosting publishes its instruments on (<c>.AddMeter("SlotEngine")</c> collects both).
/// </summary>
/// <remarks>
/// Tags are low-cardinality: a command name, never a key, a channel, an argument or anything about a patient.
/// When nobody listens, the transport takes no timestamp at all.
/// </remarks>
public static class RedisSlotEngineTelemetry
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/>: <c>SlotEngine</c>.</summary>
    public const string MeterName = "SlotEngine";

    /// <summary>
    /// Histogram <c>slotengine.redis.round_trip.duration</c> (s): from sending a command (or a script call, or one
    /// command to every primary) to its reply, redirects and a <c>NOSCRIPT</c> resend included; tagged with
    /// <see cref="CommandTag"/>. Only commands that got a reply are measured (an error reply counts; a lost
    /// connection, a timeout or a cancellation does not).
    /// </summary>
    public const string RoundTripDuration = "slotengine.redis.round_trip.duration";

    /// <summary>
    /// Histogram <c>slotengine.redis.change_feed.lag</c> (s): from a script changing a calendar (Redis's <c>TIME</c>)
    /// to this node applying the change to its read model (this node's clock). Approximate: any skew between the
    /// Redis server's clock and the node's is added to it (negative results are recorded as 0).
    /// </summary>
    public const string ChangeFeedLag = "slotengine.redis.change_feed.lag";

    /// <summary>Tag <c>slotengine.redis.command</c>: the command's name in lower case (<c>evalsha</c>, <c>get</c>, <c>set</c>, <c>ping</c>, …).</summary>
    public const string CommandTag = "slotengine.redis.command";
}
