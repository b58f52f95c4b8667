namespace DmarcAnalyzer.Ingest;

/// <summary>Where in <see cref="IngestPipeline"/> one input, or one report in it, is.</summary>
internal enum IngestStage
{
    /// <summary>Opening the containers (gzip, zip, e-mail) down to the XML.</summary>
    Unpack,

    /// <summary>Bringing one report's XML to UTF-8.</summary>
    Decode,

    /// <summary>Reading one report's header and records.</summary>
    Parse,

    /// <summary>One report's transaction, up to its commit.</summary>
    Store,
}
