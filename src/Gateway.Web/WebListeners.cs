using System.Net.Sockets;

namespace Gateway.Web;

/// <summary>The page's sockets, bound and listening before ASP.NET Core is started on them (<see cref="LazyGatewayWeb"/>).</summary>
public sealed record WebListeners(Socket Https, Socket? Http);
