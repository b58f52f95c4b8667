namespace DmarcAnalyzer.Analysis.Enrichment;

/// <summary>What a service in the catalogue does with mail; the catalogue's <c>type</c> column names it.</summary>
internal enum ServiceType
{
    /// <summary>Hosted mailboxes (Google Workspace, Microsoft 365): the organisation's own users, or someone's.</summary>
    MailboxProvider,

    /// <summary>Newsletters and campaigns (Mailchimp, Brevo).</summary>
    Marketing,

    /// <summary>Application mail through an API or SMTP relay (Amazon SES, SendGrid, Postmark).</summary>
    Transactional,

    /// <summary>Customer relationship and sales platforms that send in the customer's name (Salesforce, HubSpot).</summary>
    Crm,

    /// <summary>Support desks that answer tickets in the customer's name (Zendesk, Freshdesk).</summary>
    Helpdesk,

    /// <summary>Filtering gateways that relay an organisation's outbound mail (Mimecast, Proofpoint).</summary>
    SecurityGateway,

    /// <summary>Forwarding services and mailing lists: they break SPF and often DKIM through no fault of the sender.</summary>
    Forwarder,

    /// <summary>Clouds and servers for hire: anyone can send from them, so a match names the network, not a sender.</summary>
    Hosting,
}

internal static class ServiceTypes
{
    /// <summary>The catalogue's words for the types, in <see cref="ServiceType"/> order.</summary>
    private static readonly string[] Words =
        ["mailbox", "marketing", "transactional", "crm", "helpdesk", "gateway", "forwarder", "hosting"];

    public static string Word(this ServiceType type) => Words[(int)type];

    public static bool TryParse(string word, out ServiceType type)
    {
        var index = Array.IndexOf(Words, word);
        type = (ServiceType)Math.Max(index, 0);
        return index >= 0;
    }

    /// <summary>For people: the report's column and the README.</summary>
    public static string Label(this ServiceType type) => type switch
    {
        ServiceType.MailboxProvider => "mailbox provider",
        ServiceType.Marketing => "ESP/marketing",
        ServiceType.Transactional => "transactional",
        ServiceType.Crm => "CRM",
        ServiceType.Helpdesk => "helpdesk",
        ServiceType.SecurityGateway => "security gateway",
        ServiceType.Forwarder => "forwarder/list",
        ServiceType.Hosting => "hosting",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
