namespace Gateway.Testing;

/// <summary>
/// A dcmtk storescp association negotiation profile (`storescp -xf FILE Only`, the storescp.cfg format) that accepts
/// the storage SOP classes named in one transfer syntax only: a PACS that takes, say, Explicit VR LE and nothing else.
/// </summary>
public static class StoreScpNegotiation
{
    /// <summary>Writes the profile into <paramref name="directory"/>; returns storescp's arguments for it.</summary>
    /// <param name="dcmtkSyntax">The syntax's name in dcmtk's configuration (LocalEndianExplicit, JPEGLSLossless, JPEGBaseline, RLELossless …).</param>
    /// <param name="sopClasses">dcmtk's names of the SOP classes (SecondaryCaptureImageStorage …).</param>
    public static string[] AcceptingOnly(string directory, string dcmtkSyntax, params string[] sopClasses)
    {
        var config = Path.Combine(directory, $"storescp-only-{dcmtkSyntax}-{Guid.NewGuid():N}.cfg");
        var contexts = string.Join("\n", sopClasses.Select((c, i) => $"PresentationContext{i + 2} = {c}\\Only"));
        File.WriteAllText(config, $"""
            [[TransferSyntaxes]]
            [Only]
            TransferSyntax1 = {dcmtkSyntax}
            [Uncompressed]
            TransferSyntax1 = LocalEndianExplicit
            TransferSyntax2 = LittleEndianImplicit
            [[PresentationContexts]]
            [OnlyContexts]
            PresentationContext1 = VerificationSOPClass\Uncompressed
            {contexts}
            [[Profiles]]
            [Only]
            PresentationContexts = OnlyContexts
            """);
        return ["-xf", config, "Only"];
    }
}
