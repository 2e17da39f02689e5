using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SlotEngine.TestSupport;

/// <summary>The PEM files a TLS redis-server needs, and the CA that signed its certificate.</summary>
/// <param name="CaCertificate">The test CA (a client trusts it to validate the server).</param>
/// <param name="CaCertificateFile">The CA certificate, PEM.</param>
/// <param name="CertificateFile">The server certificate (for 127.0.0.1 and localhost), PEM.</param>
/// <param name="KeyFile">The server's private key, PEM.</param>
public sealed record RedisTlsFiles(X509Certificate2 CaCertificate, string CaCertificateFile, string CertificateFile, string KeyFile);

/// <summary>Makes a throw-away CA and a server certificate signed by it, at test time (nothing is checked in).</summary>
public static class RedisTls
{
    /// <summary>Writes ca.crt, server.crt and server.key into <paramref name="directory"/>.</summary>
    public static RedisTlsFiles CreateFiles(string directory)
    {
        Directory.CreateDirectory(directory);
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=SlotEngine test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using var server = serverRequest.Create(ca, now.AddMinutes(-5), now.AddDays(1), serial);

        var caFile = Path.Combine(directory, "ca.crt");
        var certFile = Path.Combine(directory, "server.crt");
        var keyFile = Path.Combine(directory, "server.key");
        File.WriteAllText(caFile, ca.ExportCertificatePem());
        File.WriteAllText(certFile, server.ExportCertificatePem());
        File.WriteAllText(keyFile, serverKey.ExportPkcs8PrivateKeyPem());
        return new RedisTlsFiles(X509CertificateLoader.LoadCertificate(ca.RawData), caFile, certFile, keyFile);
    }
}
