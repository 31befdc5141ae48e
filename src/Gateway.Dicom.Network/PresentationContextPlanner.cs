namespace Gateway.Dicom.Network;

/// <summary>
/// Proposes presentation contexts for a set of (SOP class, stored transfer syntax) pairs: per SOP class, one context
/// with the uncompressed syntaxes we can convert between (the stored one first, then Explicit and Implicit VR LE),
/// and one context per compressed syntax (sent as stored; we have no codecs). Verification is always proposed.
/// </summary>
public static class PresentationContextPlanner
{
    public const int MaxContexts = 128;

    public static List<PresentationContextProposal> Plan(IEnumerable<(string SopClass, string TransferSyntax)> objects)
    {
        var contexts = new List<PresentationContextProposal>();
        byte next = 1;
        void Add(string abstractSyntax, IReadOnlyList<string> syntaxes)
        {
            if (contexts.Count == MaxContexts)
                throw new InvalidOperationException($"more than {MaxContexts} presentation contexts are needed; send the objects in smaller batches");
            contexts.Add(new PresentationContextProposal(next, abstractSyntax, syntaxes));
            next += 2;
        }

        Add(DicomUids.Verification, [DicomUids.ExplicitVRLittleEndian, DicomUids.ImplicitVRLittleEndian]);
        foreach (var group in objects.Distinct().GroupBy(o => o.SopClass, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var native = new List<string>();
            foreach (var (_, ts) in group)
            {
                var syntax = DicomTransferSyntax.FromUid(ts);
                if (syntax.IsEncapsulated)
                    Add(group.Key, [syntax.Uid]);
                else if (!native.Contains(syntax.Uid))
                    native.Add(syntax.Uid);
            }
            if (native.Count == 0 && group.All(o => DicomTransferSyntax.FromUid(o.TransferSyntax).IsEncapsulated))
                continue;
            foreach (var fallback in new[] { DicomUids.ExplicitVRLittleEndian, DicomUids.ImplicitVRLittleEndian })
            {
                if (!native.Contains(fallback))
                    native.Add(fallback);
            }
            // Big endian is read, never written: don't offer it unless it is how an object is stored.
            Add(group.Key, native);
        }
        return contexts;
    }
}
