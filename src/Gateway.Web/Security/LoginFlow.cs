using System.Security.Claims;
using Gateway.Web.Logging;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Web.Security;

/// <summary>
/// Login, first-start setup and logout, as every page of ours does them (the box's page and the fleet page): 10 wrong
/// passwords for the account or from one address lock it for 15 minutes (<see cref="LoginThrottle"/>), the attempt is
/// reserved before the password is hashed (issue #14), a session is registered server-side and ended on logout. The
/// setup code is throttled like a password. Returns what to tell the person, or null on success.
/// </summary>
/// <param name="place">What the setup code belongs to, in the refusal: "this box", "this fleet view".</param>
public sealed class LoginFlow(UserStore users, LoginThrottle throttle, SessionRegistry sessions, FailedLogins failures, ILogger log, string place = "this box")
{
    public UserStore Users => users;

    public async Task<string?> SignInAsync(HttpContext http, string user, string password)
    {
        var remote = http.Connection.RemoteIpAddress?.ToString() ?? "?";
        string[] keys = ["user:" + user, "ip:" + remote];
        var attempt = throttle.Reserve(keys);
        if (!attempt.Allowed)
        {
            if (attempt.FirstRefusal)
                WebLog.LockedOut(log, user, remote, attempt.LockedUntil!.Value);
            return $"Locked out after too many wrong passwords: try again after {attempt.LockedUntil!.Value.ToLocalTime():HH:mm}.";
        }
        if (!users.Verify(user, password))
        {
            failures.Record(user, remote);
            return "Wrong user or password.";
        }
        throttle.Succeeded(keys);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, user), new Claim(SessionRegistry.ClaimType, sessions.Start(user))],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity)).ConfigureAwait(false);
        WebLog.LoggedIn(log, user, remote);
        return null;
    }

    /// <summary>First start: a strong enough password and the setup code set the admin password (the code is spent).</summary>
    public string? SetUp(HttpContext http, string code, string password, string confirm)
    {
        var remote = "setup@" + (http.Connection.RemoteIpAddress?.ToString() ?? "?");
        if (PasswordHasher.Weakness(password, confirm) is { } weak)
            return weak;
        // Reserved before the code is compared, like a login: parallel guesses cannot pass the check together.
        var attempt = throttle.Reserve(remote);
        if (!attempt.Allowed)
            return $"Too many wrong setup codes: try again after {attempt.LockedUntil!.Value.ToLocalTime():HH:mm}.";
        if (!users.TrySetUp(code, password))
            return $"That is not the setup code of {place}.";
        throttle.Succeeded(remote);
        WebLog.Changed(log, "admin password set at first start", UserStore.Admin);
        return null;
    }

    public async Task SignOutAsync(HttpContext http)
    {
        sessions.End(SessionRegistry.IdOf(http.User));
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme).ConfigureAwait(false);
        WebLog.LoggedOut(log, http.User.Identity?.Name ?? "?", http.Connection.RemoteIpAddress?.ToString() ?? "?");
    }
}
