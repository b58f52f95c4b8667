using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DmarcAnalyzer.Web;

/// <summary>
/// The store for one request, from the server's one <see cref="StoreSource"/>: on PostgreSQL a connection from the pool
/// the server holds for its life (a pool per request would connect and authenticate again at every page).
/// </summary>
internal static class RequestStore
{
    public static Task<Store> OpenStoreAsync(this HttpContext context, CancellationToken ct) =>
        context.RequestServices.GetRequiredService<StoreSource>().OpenAsync(ct);
}
