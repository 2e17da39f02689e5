using System.Globalization;
using System.Net;

namespace SlotEngine.Redis;

public sealed partial class RedisConnectionOptions
{
    /// <summary>
    /// Parses a StackExchange.Redis-style connection string: comma-separated endpoints
    /// (<c>host</c>, <c>host:port</c>, <c>[::1]:6379</c>) and <c>key=value</c> options
    /// (<c>user</c>, <c>password</c>, <c>ssl</c>, <c>sslHost</c>, <c>connectTimeout</c> and
    /// <c>syncTimeout</c>/<c>asyncTimeout</c> in milliseconds). Option names are case-insensitive.
    /// </summary>
    /// <param name="connectionString">The connection string.</param>
    /// <returns>The options it describes.</returns>
    /// <exception cref="ArgumentException">The string is empty or a part of it is malformed; the message quotes that part.</exception>
    public static RedisConnectionOptions Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var options = new RedisConnectionOptions();
        foreach (var rawPart in connectionString.Split(','))
        {
            var part = rawPart.Trim();
            if (part.Length == 0)
            {
                continue;
            }

            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                options.Endpoints.Add(ParseEndpoint(part));
            }
            else
            {
                options.ApplyOption(part[..equals].Trim(), part[(equals + 1)..].Trim());
            }
        }

        if (options.Endpoints.Count == 0)
        {
            throw new ArgumentException($"The connection string '{Redact(connectionString)}' names no endpoint.", nameof(connectionString));
        }

        options.Validate();
        return options;
    }

    private void ApplyOption(string key, string value)
    {
        switch (key.ToUpperInvariant())
        {
            case "USER":
                User = value.Length == 0 ? null : value;
                break;
            case "PASSWORD":
                Password = value.Length == 0 ? null : value;
                break;
            case "SSL":
                Ssl = value.ToUpperInvariant() switch
                {
                    "TRUE" => true,
                    "FALSE" => false,
                    _ => throw Bad($"'ssl={value}' is not true or false"),
                };
                break;
            case "SSLHOST":
                SslHost = value.Length == 0 ? null : value;
                break;
            case "CONNECTTIMEOUT":
                ConnectTimeout = Milliseconds(key, value);
                break;
            case "SYNCTIMEOUT":
            case "ASYNCTIMEOUT":
                CommandTimeout = Milliseconds(key, value);
                break;
            case "ABORTCONNECT":
            case "NAME":
            case "ALLOWADMIN":
                break; // Accepted for compatibility with StackExchange.Redis strings; no meaning here.
            default:
                throw Bad($"unknown option '{key}'");
        }
    }

    private static TimeSpan Milliseconds(string key, string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms <= 0)
        {
            throw Bad($"'{key}={value}' is not a positive number of milliseconds");
        }

        return TimeSpan.FromMilliseconds(ms);
    }

    /// <summary>Parses <c>host</c>, <c>host:port</c>, <c>[v6]</c> or <c>[v6]:port</c>.</summary>
    private static DnsEndPoint ParseEndpoint(string text)
    {
        string host;
        string? portText = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 2)
            {
                throw Bad($"endpoint '{text}' has an unclosed or empty '['");
            }

            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    throw Bad($"endpoint '{text}' has '{rest}' after ']'");
                }

                portText = rest[1..];
            }

            if (!IPAddress.TryParse(host, out _))
            {
                throw Bad($"endpoint '{text}' has '{host}' in brackets, which is not an IP address");
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                throw Bad($"endpoint '{text}' looks like an IPv6 address without brackets; write it as [address]:port");
            }

            host = colon < 0 ? text : text[..colon];
            portText = colon < 0 ? null : text[(colon + 1)..];
        }

        if (host.Length == 0 || host.Any(char.IsWhiteSpace))
        {
            throw Bad($"endpoint '{text}' has no valid host");
        }

        var port = DefaultPort;
        if (portText is not null
            && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            throw Bad($"endpoint '{text}' has port '{portText}', which is not a number from 1 to 65535");
        }

        return new DnsEndPoint(host, port);
    }

    private static ArgumentException Bad(string what) =>
        new($"Invalid Redis connection string: {what}.", "connectionString");

    /// <summary>Keeps passwords out of exception messages.</summary>
    private static string Redact(string connectionString) =>
        string.Join(',', connectionString.Split(',').Select(p =>
            p.Trim().StartsWith("password=", StringComparison.OrdinalIgnoreCase) ? "password=***" : p));
}
