using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Tests.Storage;

public sealed class StoreLocationTests
{
    [Theory]
    [InlineData("dmarc.db", false)]
    [InlineData("/var/lib/dmarc/dmarc.db", false)]
    [InlineData("postgres://dmarc@db.example.net/dmarc", true)]
    [InlineData("postgresql://db.example.net:5433/dmarc", true)]
    [InlineData("Host=db.example.net;Database=dmarc;Username=dmarc", true)]
    [InlineData("server=db.example.net;database=dmarc", true)]
    public void APathIsSqliteAndAUrlOrConnectionStringIsPostgres(string database, bool postgres) =>
        Assert.Equal(postgres, StoreLocation.IsPostgres(database));

    [Fact]
    public void AUrlBecomesNpgsqlSettings()
    {
        var builder = StoreLocation.Postgres("postgres://report%20user@db.example.net:5433/dmarc?sslmode=require");
        Assert.Equal(("report user", "db.example.net", 5433, "dmarc"), (builder.Username, builder.Host, builder.Port, builder.Database));
        Assert.Equal(Npgsql.SslMode.Require, builder.SslMode);
        Assert.Equal("postgres://report user@db.example.net:5433/dmarc", StoreLocation.Describe("postgres://report%20user@db.example.net:5433/dmarc"));
    }

    [Theory]
    [InlineData("postgres://dmarc:secret@db.example.net/dmarc")]
    [InlineData("Host=db.example.net;Database=dmarc;Password=secret")]
    public void APasswordInTheDatabaseIsRefused(string database)
    {
        var e = Assert.Throws<StoreLocationException>(() => StoreLocation.Postgres(database));
        Assert.DoesNotContain("secret", e.Message);
        Assert.Contains("Storage:PasswordFile", e.Message);
    }

    [Fact]
    public void ThePasswordComesFromThePasswordFile()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("password"), "s3cret\n");
        var database = StoreLocation.WithPasswordFile("postgres://dmarc@db.example.net/dmarc", folder.File("password"));
        Assert.DoesNotContain("s3cret", database);
        Assert.Equal("s3cret", StoreLocation.Postgres(database).Password);
        Assert.DoesNotContain("s3cret", StoreLocation.Describe(database));
        Assert.Equal("dmarc.db", StoreLocation.WithPasswordFile("dmarc.db", folder.File("password")));
    }
}
