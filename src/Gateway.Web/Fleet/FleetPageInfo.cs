using Gateway.Web.Security;

namespace Gateway.Web.Fleet;

/// <summary>What every fleet page needs to know about the page itself.</summary>
public sealed class FleetPageInfo(UserStore users, string fingerprint, FleetPageOptions options)
{
    public UserStore Users { get; } = users;
    public string Fingerprint { get; } = fingerprint;
    public FleetPageOptions Options { get; } = options;

    /// <summary>The query parameter the page's own refresh carries: such a request is no sign that anyone is there.</summary>
    public const string RefreshParameter = "refresh";

    public static bool IsRefresh(Microsoft.AspNetCore.Http.HttpRequest request) =>
        Microsoft.AspNetCore.Http.HttpMethods.IsGet(request.Method) && request.Query[RefreshParameter] == "1";
}
