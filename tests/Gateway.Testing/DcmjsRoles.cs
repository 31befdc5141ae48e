namespace Gateway.Testing;

/// <summary>An SCP/SCU role selection pair (PS3.7 D.3.3.4): the roles proposed, or the roles an acceptor agrees to.</summary>
public sealed record DcmjsRoles(bool Scu, bool Scp);
