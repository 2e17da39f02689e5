using Microsoft.Extensions.Logging;

namespace SlotEngine.Redis;

/// <summary>
/// The store's log messages (source-generated: no boxing, nothing formatted when the level is off). They name
/// endpoints, calendars (provider and day) and counts; never a national ID, a patient key or a key of Redis
/// that holds one (quota keys carry patient keys).
/// </summary>
internal static partial class StoreLog
{
    [LoggerMessage(EventId = 1, EventName = "RedisConnectionLost", Level = LogLevel.Warning,
        Message = "Redis connection to {ServerAddress} lost ({ConnectionType}, {FailureType}); the read model will resync when it is back.")]
    public static partial void ConnectionLost(ILogger logger, string serverAddress, string connectionType, string failureType, Exception? exception);

    [LoggerMessage(EventId = 2, EventName = "RedisConnectionRestored", Level = LogLevel.Information,
        Message = "Redis connection to {ServerAddress} restored ({ConnectionType}); resyncing the read model.")]
    public static partial void ConnectionRestored(ILogger logger, string serverAddress, string connectionType);

    [LoggerMessage(EventId = 3, EventName = "RedisHashSlotMoved", Level = LogLevel.Information,
        Message = "Redis hash slot {HashSlot} moved from {OldServerAddress} to {NewServerAddress}; resyncing the read model.")]
    public static partial void HashSlotMoved(ILogger logger, int hashSlot, string oldServerAddress, string newServerAddress);

    [LoggerMessage(EventId = 4, EventName = "ReadModelResync", Level = LogLevel.Information,
        Message = "Reloading {CalendarCount} calendars of the read model ({Reason}).")]
    public static partial void ReadModelResync(ILogger logger, int calendarCount, string reason);

    [LoggerMessage(EventId = 5, EventName = "ReadModelStale", Level = LogLevel.Warning,
        Message = "The version check found {CalendarCount} calendars behind Redis (feed messages were missed); reloading them.")]
    public static partial void ReadModelStale(ILogger logger, int calendarCount);

    [LoggerMessage(EventId = 6, EventName = "ReadModelReset", Level = LogLevel.Information,
        Message = "Calendar {Calendar} was reset, withdrawn or is gone in Redis (a new generation); reloading it.")]
    public static partial void ReadModelReset(ILogger logger, string calendar);

    [LoggerMessage(EventId = 7, EventName = "ReplicaShortfall", Level = LogLevel.Warning,
        Message = "Redis primary {ServerAddress} has {ConnectedReplicas} connected replicas but WaitForReplicas is {RequiredReplicas}: bookings will fail with ReplicationTimeoutException until enough replicas are connected.")]
    public static partial void ReplicaShortfall(ILogger logger, string serverAddress, int connectedReplicas, int requiredReplicas);

    [LoggerMessage(EventId = 8, EventName = "PersistenceRisk", Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void PersistenceRisk(ILogger logger, string warning);

    [LoggerMessage(EventId = 9, EventName = "StoreWarning", Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void Warning(ILogger logger, string warning);

    [LoggerMessage(EventId = 10, EventName = "RedisNotConnectedAtStart", Level = LogLevel.Warning,
        Message = "Redis is not reachable at start (abortConnect=false): the store starts unhealthy and connects when Redis arrives.")]
    public static partial void NotConnectedAtStart(ILogger logger);

    [LoggerMessage(EventId = 11, EventName = "RedisStoreReady", Level = LogLevel.Information,
        Message = "Redis store connected ({Topology}); change feed subscribed.")]
    public static partial void Ready(ILogger logger, string topology);
}
