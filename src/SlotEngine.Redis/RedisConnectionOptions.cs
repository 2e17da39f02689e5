using System.Net;
using System.Net.Security;

namespace SlotEngine.Redis;

/// <summary>
/// How SlotEngine reaches Redis: endpoints, credentials, TLS and timeouts. Build one with
/// <see cref="Parse(string)"/> from a StackExchange.Redis-style connection string
/// (<c>host:port,host:port,user=…,password=…,ssl=true,connectTimeout=5000,syncTimeout=5000</c>),
/// or set the properties directly.
/// </summary>
/// <remarks>
/// The same options reach a standalone server (one or more seeds; the primary among them is used)
/// and a Redis Cluster (any subset of nodes as seeds; the topology is discovered). Instances are
/// not thread-safe while being changed; treat them as read-only once a connection has been made.
/// </remarks>
public sealed partial class RedisConnectionOptions
{
    /// <summary>The default port, used when an endpoint names no port.</summary>
    public const int DefaultPort = 6379;

    /// <summary>
    /// Seed endpoints. For a standalone deployment the first reachable primary is used; for a
    /// cluster, any reachable node serves to discover the topology.
    /// </summary>
    /// <value>The default value is an empty list; at least one endpoint is required to connect.</value>
    public IList<DnsEndPoint> Endpoints { get; } = new List<DnsEndPoint>();

    /// <summary>The ACL user name sent with <c>AUTH</c>, or <see langword="null"/> for the default user.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? User { get; set; }

    /// <summary>The password sent with <c>AUTH</c>, or <see langword="null"/> to send no <c>AUTH</c>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Password { get; set; }

    /// <summary>Whether to wrap every connection in TLS.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Ssl { get; set; }

    /// <summary>The host name the server's TLS certificate must match, when it differs from the endpoint's host.</summary>
    /// <value>The default value is <see langword="null"/>: the endpoint's host is used.</value>
    public string? SslHost { get; set; }

    /// <summary>
    /// An optional check of the server's TLS certificate. When <see langword="null"/>, the platform's
    /// default validation applies.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public RemoteCertificateValidationCallback? CertificateValidation { get; set; }

    /// <summary>How long one attempt to open a connection (TCP, TLS and <c>AUTH</c>) may take.</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long one command may wait for its reply before it fails with <see cref="RedisTimeoutException"/>.
    /// A command that timed out may still have run on the server.
    /// </summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The first delay before reconnecting after a connection is lost; it doubles on each failed attempt.</summary>
    /// <value>The default value is 50 milliseconds.</value>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest delay between two reconnect attempts.</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many <c>MOVED</c>/<c>ASK</c>/<c>TRYAGAIN</c> redirects one cluster command may follow before it fails.</summary>
    /// <value>The default value is 5.</value>
    public int MaxRedirects { get; set; } = 5;

    /// <summary>Creates a copy of these options, with its own endpoint list.</summary>
    /// <returns>The copy.</returns>
    public RedisConnectionOptions Clone()
    {
        var fresh = new RedisConnectionOptions
        {
            User = User,
            Password = Password,
            Ssl = Ssl,
            SslHost = SslHost,
            CertificateValidation = CertificateValidation,
            ConnectTimeout = ConnectTimeout,
            CommandTimeout = CommandTimeout,
            ReconnectMinDelay = ReconnectMinDelay,
            ReconnectMaxDelay = ReconnectMaxDelay,
            MaxRedirects = MaxRedirects,
        };
        foreach (var endpoint in Endpoints)
        {
            fresh.Endpoints.Add(endpoint);
        }

        return fresh;
    }

    /// <summary>Checks that the options can be used to connect.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public void Validate()
    {
        if (Endpoints.Count == 0)
        {
            throw new ArgumentException("At least one endpoint is required.", nameof(Endpoints));
        }

        RequirePositive(ConnectTimeout, nameof(ConnectTimeout));
        RequirePositive(CommandTimeout, nameof(CommandTimeout));
        RequirePositive(ReconnectMinDelay, nameof(ReconnectMinDelay));
        if (ReconnectMaxDelay < ReconnectMinDelay)
        {
            throw new ArgumentException($"{nameof(ReconnectMaxDelay)} ({ReconnectMaxDelay}) is less than {nameof(ReconnectMinDelay)} ({ReconnectMinDelay}).", nameof(ReconnectMaxDelay));
        }

        if (MaxRedirects < 0)
        {
            throw new ArgumentException($"{nameof(MaxRedirects)} must not be negative; it was {MaxRedirects}.", nameof(MaxRedirects));
        }

        if (User is not null && Password is null)
        {
            throw new ArgumentException($"{nameof(User)} '{User}' is set without a {nameof(Password)}.", nameof(Password));
        }
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{name} must be positive; it was {value}.", name);
        }
    }
}
