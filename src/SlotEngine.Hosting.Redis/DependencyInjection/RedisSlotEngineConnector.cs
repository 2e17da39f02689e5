using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SlotEngine.Redis;

namespace SlotEngine.Hosting;

/// <summary>
/// Connects the <see cref="RedisSlotEngine"/> when the host starts (registered as the first hosted
/// service, so it is connected before any other starts) and disposes it when the host stops.
/// Connecting is asynchronous, so the engine cannot be made inside a service factory.
/// </summary>
internal sealed partial class RedisSlotEngineConnector(IOptions<RedisSlotEngineOptions> options, ILogger<RedisSlotEngineConnector>? logger = null)
    : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private RedisSlotEngine? _engine;

    /// <summary>The connected engine.</summary>
    /// <exception cref="InvalidOperationException">The host has not started yet (or failed to connect).</exception>
    public RedisSlotEngine Engine => Volatile.Read(ref _engine)
        ?? throw new InvalidOperationException("The Redis slot engine connects when the host starts: resolve ISlotEngine after IHost.StartAsync (for example inside a hosted service or a request).");

    /// <summary>Whether the engine is connected (false before start, after a failed connect and after stop).</summary>
    public bool IsConnected => Volatile.Read(ref _engine) is not null;

    /// <summary>Why the connect at start-up failed, if it did.</summary>
    public Exception? ConnectError { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var warning = settings.Warning;
        settings.Warning = message =>
        {
            RedisWarning(_logger, message);
            warning?.Invoke(message);
        };
        try
        {
            var engine = await RedisSlotEngine.ConnectAsync(settings, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _engine, engine);
            Connected(_logger, engine.PersistenceWarnings.Count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ConnectError = ex;
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _engine, null) is { } engine)
        {
            await engine.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Connected the Redis slot engine ({Warnings} persistence warning(s))")]
    private static partial void Connected(ILogger logger, int warnings);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Redis slot engine: {Message}")]
    private static partial void RedisWarning(ILogger logger, string message);
}
