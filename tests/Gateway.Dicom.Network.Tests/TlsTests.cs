using System.Globalization;
using Gateway.Testing;
using Xunit;

namespace Gateway.Dicom.Network.Tests;

/// <summary>Issue #4 TLS: both ways against dcmtk with certificates the test makes, and the refusals that must happen.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly TestCertificates _pki = new();

    public void Dispose() => _pki.Dispose();

    private DcmtkStoreScp TlsStoreScp(string cert, string key, bool requireClientCert = true) =>
        new(extraArgs: ["+tls", key, cert, "+cf", _pki.CaFile, requireClientCert ? "-rc" : "-vc"]);

    private string[] ClientTls(string? ca = null, bool withClientCert = true) =>
        withClientCert
            ? ["--tls", "--tls-ca", ca ?? _pki.CaFile, "--tls-cert", _pki.ClientCert, "--tls-key", _pki.ClientKey]
            : ["--tls", "--tls-ca", ca ?? _pki.CaFile];

    [Fact]
    public void Gateway_echo_and_send_over_mutual_TLS_to_storescp()
    {
        using var scp = TlsStoreScp(_pki.ServerCert, _pki.ServerKey);
        var echo = GatewayExecutable.Run(["echo", "--to", $"127.0.0.1:{scp.Port}", "--called", scp.AeTitle, .. ClientTls()]);
        Assert.True(echo.ExitCode == 0, echo.All + scp.Output);
        var send = GatewayExecutable.Run(["send", Corpus.TestFile("CT_small.dcm"), "--to", $"127.0.0.1:{scp.Port}", "--called", scp.AeTitle, .. ClientTls()]);
        Assert.True(send.ExitCode == 0, send.All + scp.Output);
        Assert.Single(scp.ReceivedFiles);
    }

    [Fact]
    public void Echoscu_and_storescu_over_TLS_reach_gateway_store_scp_with_client_certificates_required()
    {
        using var output = new TempDirectory();
        var port = FreePort.Get().ToString(CultureInfo.InvariantCulture);
        using var scp = new PeerProcess(GatewayExecutable.Path, ["store-scp", "--port", port, "--aet", "GWSCP", "--out", output.Path, "--bind", "127.0.0.1",
            "--tls", "--tls-ca", _pki.CaFile, "--tls-cert", _pki.ServerCert, "--tls-key", _pki.ServerKey, "--tls-require-client-cert"]);
        scp.WaitForOutput("listening", TimeSpan.FromSeconds(20));
        string[] dcmtkTls = ["+tls", _pki.ClientKey, _pki.ClientCert, "+cf", _pki.CaFile];
        var echo = ProcessRunner.Run(Peers.Require("echoscu", "dcmtk"), [.. dcmtkTls, "-aec", "GWSCP", "127.0.0.1", port]);
        Assert.True(echo.ExitCode == 0, echo.All + scp.Output);
        var store = ProcessRunner.Run(Peers.Require("storescu", "dcmtk"), [.. dcmtkTls, "-aec", "GWSCP", "127.0.0.1", port, Corpus.TestFile("MR_small.dcm")]);
        Assert.True(store.ExitCode == 0, store.All + scp.Output);
        scp.WaitForOutput("MR Image Storage", TimeSpan.FromSeconds(10));

        // Without a client certificate: refused; a plaintext peer on the TLS port: refused; the server keeps serving.
        var anonymous = ProcessRunner.Run(Peers.Require("echoscu", "dcmtk"), ["+tla", "+cf", _pki.CaFile, "-aec", "GWSCP", "127.0.0.1", port]);
        Assert.NotEqual(0, anonymous.ExitCode);
        var plain = ProcessRunner.Run(Peers.Require("echoscu", "dcmtk"), ["-aec", "GWSCP", "-to", "5", "-ta", "5", "127.0.0.1", port]);
        Assert.NotEqual(0, plain.ExitCode);
        var again = ProcessRunner.Run(Peers.Require("echoscu", "dcmtk"), [.. dcmtkTls, "-aec", "GWSCP", "127.0.0.1", port]);
        Assert.True(again.ExitCode == 0, again.All + scp.Output);
    }

    [Fact]
    public void A_server_certificate_from_another_CA_is_not_trusted()
    {
        using var scp = TlsStoreScp(_pki.ServerCert, _pki.ServerKey);
        var r = GatewayExecutable.Run(["echo", "--to", $"127.0.0.1:{scp.Port}", "--called", scp.AeTitle, .. ClientTls(ca: _pki.OtherCaFile)]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("TLS failure", r.StdErr);
        Assert.Contains("certificate", r.StdErr);
    }

    [Fact]
    public void An_expired_server_certificate_is_not_trusted()
    {
        using var scp = TlsStoreScp(_pki.ExpiredCert, _pki.ExpiredKey);
        var r = GatewayExecutable.Run(["echo", "--to", $"127.0.0.1:{scp.Port}", "--called", scp.AeTitle, .. ClientTls()]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("TLS failure", r.StdErr);
    }

    [Fact]
    public void A_plaintext_PACS_on_the_port_we_expect_TLS_on_is_a_failure_not_a_fallback()
    {
        using var scp = new DcmtkStoreScp();
        var r = GatewayExecutable.Run(["echo", "--to", $"127.0.0.1:{scp.Port}", "--called", scp.AeTitle, .. ClientTls()]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("TLS failure", r.StdErr);
    }

    [Fact]
    public void A_TLS_1_1_client_is_refused_by_gateway_store_scp()
    {
        using var output = new TempDirectory();
        var port = FreePort.Get().ToString(CultureInfo.InvariantCulture);
        using var scp = new PeerProcess(GatewayExecutable.Path, ["store-scp", "--port", port, "--aet", "GWSCP", "--out", output.Path, "--bind", "127.0.0.1",
            "--tls", "--tls-ca", _pki.CaFile, "--tls-cert", _pki.ServerCert, "--tls-key", _pki.ServerKey]);
        scp.WaitForOutput("listening", TimeSpan.FromSeconds(20));
        // OpenSSL as a TLS 1.1 client (security level 0 so that OpenSSL itself allows trying).
        var old = ProcessRunner.Run(Peers.Require("openssl", "openssl"),
            ["s_client", "-connect", $"127.0.0.1:{port}", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", _pki.CaFile], TimeSpan.FromSeconds(20), stdin: "");
        // The server answers with a protocol_version alert (70): no cipher, no certificate, nothing exchanged.
        Assert.Contains("Cipher is (NONE)", old.All);
        Assert.Contains("no peer certificate available", old.All);
        Assert.Matches("alert protocol version|no protocols available|wrong version", old.All);
        var modern = ProcessRunner.Run(Peers.Require("openssl", "openssl"),
            ["s_client", "-connect", $"127.0.0.1:{port}", "-tls1_2", "-CAfile", _pki.CaFile], TimeSpan.FromSeconds(20), stdin: "");
        Assert.Contains("Verify return code: 0 (ok)", modern.All);
    }
}
