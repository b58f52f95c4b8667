namespace DmarcAnalyzer.Storage;

/// <summary>
/// Forward-only migrations. The index in the list is the schema version minus one; a migration is
/// never edited once released, a change is a new entry at the end.
/// </summary>
internal static class Schema
{
    public static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE reports (
            id               INTEGER PRIMARY KEY,
            org_name         TEXT NOT NULL,
            email            TEXT,
            extra_contact    TEXT,
            report_id        TEXT NOT NULL,
            domain           TEXT NOT NULL,
            begin_utc        INTEGER NOT NULL,
            end_utc          INTEGER NOT NULL,
            adkim            TEXT,
            aspf             TEXT,
            p                TEXT,
            sp               TEXT,
            np               TEXT,
            pct              INTEGER,
            fo               TEXT,
            testing          TEXT,
            discovery_method TEXT,
            psd              TEXT,
            generator        TEXT,
            version          TEXT,
            xml_namespace    TEXT,
            errors           TEXT,
            source           TEXT NOT NULL,
            ingested_utc     INTEGER NOT NULL,
            raw_gzip         BLOB NOT NULL,
            UNIQUE (org_name, report_id, domain, begin_utc, end_utc)
        );
        CREATE TABLE records (
            id            INTEGER PRIMARY KEY,
            report        INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
            source_ip     TEXT NOT NULL,
            count         INTEGER NOT NULL,
            disposition   TEXT,
            dkim_eval     TEXT,
            spf_eval      TEXT,
            header_from   TEXT,
            envelope_from TEXT,
            envelope_to   TEXT
        );
        CREATE INDEX records_report ON records(report);
        CREATE INDEX reports_domain_begin ON reports(domain, begin_utc);
        CREATE INDEX reports_begin ON reports(begin_utc);
        CREATE TABLE record_reasons (
            record  INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            type    TEXT NOT NULL,
            comment TEXT
        );
        CREATE INDEX record_reasons_record_type ON record_reasons(record, type);
        CREATE TABLE record_dkim (
            record       INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            domain       TEXT NOT NULL,
            selector     TEXT,
            result       TEXT NOT NULL,
            human_result TEXT
        );
        CREATE INDEX record_dkim_record_result ON record_dkim(record, result, domain);
        CREATE TABLE record_spf (
            record       INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            domain       TEXT NOT NULL,
            scope        TEXT,
            result       TEXT NOT NULL,
            human_result TEXT
        );
        CREATE INDEX record_spf_record_result ON record_spf(record, result);
        -- Inputs that could not be read, and why. Their bytes are kept once per distinct content in
        -- failure_blobs: the pieces of one archive that fail share the archive's bytes.
        CREATE TABLE failure_blobs (
            sha256 TEXT PRIMARY KEY,
            raw    BLOB NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE failures (
            id            INTEGER PRIMARY KEY,
            sha256        TEXT NOT NULL REFERENCES failure_blobs(sha256),
            source        TEXT NOT NULL,
            reason        TEXT NOT NULL,
            size          INTEGER NOT NULL,
            raw_truncated INTEGER NOT NULL DEFAULT 0,
            created_utc   INTEGER NOT NULL,
            UNIQUE (sha256, source)
        );
        -- Reverse DNS names of source IPs for `dmarc report` (name NULL: no forward-confirmed name).
        CREATE TABLE ptr_cache (
            ip          TEXT PRIMARY KEY,
            name        TEXT,
            checked_utc INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- The milter's verdict on every message it saw.
        CREATE TABLE verdicts (
            id                  INTEGER PRIMARY KEY,
            time_utc            INTEGER NOT NULL,
            queue_id            TEXT,
            client_ip           TEXT,
            client_name         TEXT,
            helo                TEXT,
            envelope_from       TEXT NOT NULL,
            recipients          TEXT NOT NULL,
            header_from         TEXT,
            spf                 TEXT,
            dkim                TEXT,
            dmarc               TEXT,
            action              TEXT NOT NULL,
            reason              TEXT NOT NULL,
            removed_attachments TEXT,
            exception_used      TEXT
        );
        CREATE INDEX verdicts_time ON verdicts(time_utc);
        CREATE INDEX verdicts_header_from ON verdicts(header_from);
        """,
        // 2: one row per record instead of three. Most records carry one DKIM and one SPF result: the first of
        // each now lives in the record's row, further ones stay in record_dkim and record_spf, and the views
        // dkim_results and spf_results show them all. Each report's raw result and override-reason counts are
        // summed once at ingest into report_results (reports never change), so `dmarc report` reads them
        // instead of every record (bench/README.md has the numbers).
        """
        ALTER TABLE records ADD COLUMN dkim_domain TEXT;
        ALTER TABLE records ADD COLUMN dkim_selector TEXT;
        ALTER TABLE records ADD COLUMN dkim_result TEXT;
        ALTER TABLE records ADD COLUMN dkim_human_result TEXT;
        ALTER TABLE records ADD COLUMN spf_domain TEXT;
        ALTER TABLE records ADD COLUMN spf_scope TEXT;
        ALTER TABLE records ADD COLUMN spf_result TEXT;
        ALTER TABLE records ADD COLUMN spf_human_result TEXT;
        UPDATE records SET (dkim_domain, dkim_selector, dkim_result, dkim_human_result) =
            (SELECT domain, selector, result, human_result FROM record_dkim d WHERE d.record = records.id ORDER BY d.rowid LIMIT 1);
        DELETE FROM record_dkim WHERE rowid IN (SELECT min(rowid) FROM record_dkim GROUP BY record);
        UPDATE records SET (spf_domain, spf_scope, spf_result, spf_human_result) =
            (SELECT domain, scope, result, human_result FROM record_spf s WHERE s.record = records.id ORDER BY s.rowid LIMIT 1);
        DELETE FROM record_spf WHERE rowid IN (SELECT min(rowid) FROM record_spf GROUP BY record);
        -- position orders a record's results as its report listed them (0 is the first).
        CREATE VIEW dkim_results (record, position, domain, selector, result, human_result) AS
            SELECT id, 0, dkim_domain, dkim_selector, dkim_result, dkim_human_result FROM records WHERE dkim_result IS NOT NULL
            UNION ALL
            SELECT record, rowid, domain, selector, result, human_result FROM record_dkim;
        CREATE VIEW spf_results (record, position, domain, scope, result, human_result) AS
            SELECT id, 0, spf_domain, spf_scope, spf_result, spf_human_result FROM records WHERE spf_result IS NOT NULL
            UNION ALL
            SELECT record, rowid, domain, scope, result, human_result FROM record_spf;
        CREATE TABLE report_results (
            report   INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
            kind     TEXT NOT NULL,     -- 'spf', 'dkim' (one per signature) or 'reason' (policy override type)
            value    TEXT NOT NULL,
            messages INTEGER NOT NULL,  -- summed message counts of the records carrying the value
            PRIMARY KEY (report, kind, value)
        ) WITHOUT ROWID;
        -- total(), not sum(): absurd counts must saturate, not fail the migration with an integer overflow.
        INSERT INTO report_results (report, kind, value, messages)
            SELECT r.report, 'spf', x.result, CAST(min(total(r.count), 9e18) AS INTEGER)
              FROM spf_results x JOIN records r ON r.id = x.record GROUP BY r.report, x.result
            UNION ALL
            SELECT r.report, 'dkim', x.result, CAST(min(total(r.count), 9e18) AS INTEGER)
              FROM dkim_results x JOIN records r ON r.id = x.record GROUP BY r.report, x.result
            UNION ALL
            SELECT r.report, 'reason', x.type, CAST(min(total(r.count), 9e18) AS INTEGER)
              FROM record_reasons x JOIN records r ON r.id = x.record GROUP BY r.report, x.type;
        """,
        // 3: the outbox spool. A mail stays here until the relay has accepted it; attempts and next_attempt_utc
        // drive the retry backoff, last_error says why the last attempt failed.
        """
        CREATE TABLE outbox (
            id               INTEGER PRIMARY KEY,
            created_utc      INTEGER NOT NULL,
            sender           TEXT NOT NULL,
            recipients       TEXT NOT NULL,     -- one address a line
            message          BLOB NOT NULL,     -- the whole message as sent
            attempts         INTEGER NOT NULL DEFAULT 0,
            next_attempt_utc INTEGER NOT NULL,
            last_error       TEXT
        );
        CREATE INDEX outbox_due ON outbox (next_attempt_utc);
        """,
        // 4: SMTP TLS reports (RFC 8460) and DMARC failure reports (RFC 6591, RFC 9991), each with its raw bytes
        // gzip-compressed. A TLS report is one per (organization, report id); a failure report one per identity, the
        // SHA-256 of its bytes without transport header fields. Failure reports hold personal data: `dmarc prune`
        // deletes them by arrival_utc.
        """
        CREATE TABLE tls_reports (
            id                INTEGER PRIMARY KEY,
            organization_name TEXT NOT NULL,
            report_id         TEXT NOT NULL,
            begin_utc         INTEGER NOT NULL,
            end_utc           INTEGER NOT NULL,
            contact_info      TEXT,
            source            TEXT NOT NULL,
            ingested_utc      INTEGER NOT NULL,
            raw_gzip          BLOB NOT NULL,
            UNIQUE (organization_name, report_id)
        );
        CREATE INDEX tls_reports_begin ON tls_reports(begin_utc);
        CREATE TABLE tls_policies (
            id                  INTEGER PRIMARY KEY,
            report              INTEGER NOT NULL REFERENCES tls_reports(id) ON DELETE CASCADE,
            position            INTEGER NOT NULL,  -- 0 for the report's first policy
            policy_type         TEXT NOT NULL,     -- as sent, lower-cased: sts, tlsa, no-policy-found or another
            policy_string       TEXT,              -- the policy-string lines joined with a line feed
            policy_domain       TEXT,
            mx_host             TEXT,              -- the mx-host entries joined with a line feed
            successful_sessions INTEGER NOT NULL,
            failed_sessions     INTEGER NOT NULL
        );
        CREATE INDEX tls_policies_report ON tls_policies(report);
        CREATE INDEX tls_policies_domain ON tls_policies(policy_domain);
        CREATE TABLE tls_failure_details (
            id                     INTEGER PRIMARY KEY,
            policy                 INTEGER NOT NULL REFERENCES tls_policies(id) ON DELETE CASCADE,
            result_type            TEXT NOT NULL,  -- as sent, lower-cased: RFC 8460 section 4.3 or another
            sending_mta_ip         TEXT,
            receiving_mx_hostname  TEXT,
            receiving_mx_helo      TEXT,
            receiving_ip           TEXT,
            failed_sessions        INTEGER NOT NULL,
            additional_information TEXT,
            failure_reason_code    TEXT
        );
        CREATE INDEX tls_failure_details_policy ON tls_failure_details(policy);
        CREATE TABLE failure_reports (
            id                 INTEGER PRIMARY KEY,
            identity           TEXT NOT NULL UNIQUE,
            arrival_utc        INTEGER NOT NULL,  -- Arrival-Date, else the report's Date, else when it was ingested
            report_date_utc    INTEGER,
            reporting_domain   TEXT,
            feedback_type      TEXT NOT NULL,
            user_agent         TEXT,
            version            TEXT,
            reported_domain    TEXT,
            source_ip          TEXT,
            auth_failure       TEXT,
            identity_alignment TEXT,
            delivery_result    TEXT,
            dkim_domain        TEXT,
            dkim_selector      TEXT,
            spf_dns            TEXT,
            original_mail_from TEXT,
            original_rcpt_to   TEXT,
            arrival_date       TEXT,              -- the Arrival-Date field as written
            header_from        TEXT,
            header_to          TEXT,
            subject            TEXT,
            header_date        TEXT,
            message_id         TEXT,
            authentication_results TEXT,
            source             TEXT NOT NULL,
            ingested_utc       INTEGER NOT NULL,
            raw_gzip           BLOB NOT NULL
        );
        CREATE INDEX failure_reports_arrival ON failure_reports(arrival_utc);
        """,
        // 5: what the network databases (Enrichment:AsnDatabase, Enrichment:CountryDatabase) said about a source
        // address, so a report looks each address up once. databases names the builds that answered: a new build of
        // either file makes the row stale.
        """
        CREATE TABLE network_cache (
            ip        TEXT PRIMARY KEY,
            databases TEXT NOT NULL,
            asn       INTEGER,
            as_org    TEXT,
            country   TEXT
        ) WITHOUT ROWID;
        """,
        // 6: the aggregate reports we send (RFC 9990): each message whose DMARC record has a rua= keeps what a report says
        // of it (report_facts, JSON) under the domain of that record; outgoing_reports holds each (domain, day,
        // destination) handled, so that a report is sent once.
        """
        ALTER TABLE verdicts ADD COLUMN report_domain TEXT;
        ALTER TABLE verdicts ADD COLUMN report_facts TEXT;
        CREATE INDEX verdicts_report ON verdicts (time_utc, report_domain) WHERE report_domain IS NOT NULL;
        CREATE TABLE outgoing_reports (
            domain      TEXT NOT NULL,
            begin_utc   INTEGER NOT NULL,
            destination TEXT NOT NULL,     -- the rua= address, lower case
            report_id   TEXT NOT NULL,
            outcome     TEXT NOT NULL,     -- queued (in the outbox), too_large, not_authorised
            size        INTEGER NOT NULL,  -- of the gzip file
            messages    INTEGER NOT NULL,
            detail      TEXT,
            created_utc INTEGER NOT NULL,
            PRIMARY KEY (domain, begin_utc, destination)
        ) WITHOUT ROWID;
        """,
        // 7: the alerts that have fired and not cleared since (dmarc alert): an alert fires once, and again only
        // after it has cleared and come back. key tells apart alerts of one rule and domain (a source address).
        """
        CREATE TABLE alert_state (
            rule      TEXT NOT NULL,
            domain    TEXT NOT NULL,
            key       TEXT NOT NULL,
            text      TEXT NOT NULL,
            fired_utc INTEGER NOT NULL,
            PRIMARY KEY (rule, domain, key)
        ) WITHOUT ROWID;
        """,
        // 8: the dashboard (dmarc serve). Local users with a PBKDF2 hash, failed sign-ins for the lockout, the audit
        // trail of every change made through it, and the encrypted-archive exceptions users request and administrators
        // approve (the milter reads the approved ones). The source page looks records up by address.
        """
        CREATE TABLE users (
            name          TEXT PRIMARY KEY COLLATE NOCASE,
            role          TEXT NOT NULL,        -- 'viewer' or 'admin'
            password_hash TEXT NOT NULL,        -- pbkdf2-sha256$ITERATIONS$SALT$HASH, base64
            created_utc   INTEGER NOT NULL
        );
        CREATE TABLE sign_in_failures (
            user_name TEXT NOT NULL COLLATE NOCASE,
            time_utc  INTEGER NOT NULL
        );
        CREATE INDEX sign_in_failures_user_time ON sign_in_failures (user_name, time_utc);
        CREATE TABLE audit (
            id       INTEGER PRIMARY KEY,
            time_utc INTEGER NOT NULL,
            actor    TEXT NOT NULL,
            action   TEXT NOT NULL,
            subject  TEXT NOT NULL,
            detail   TEXT
        );
        CREATE TABLE archive_exceptions (
            id            INTEGER PRIMARY KEY,
            sender        TEXT NOT NULL,
            recipient     TEXT,
            reason        TEXT NOT NULL,
            requested_by  TEXT NOT NULL,
            requested_utc INTEGER NOT NULL,
            state         TEXT NOT NULL,        -- 'requested', 'approved' or 'rejected'
            decided_by    TEXT,
            decided_utc   INTEGER,
            expires       TEXT                  -- YYYY-MM-DD, the last day an approved one applies
        );
        CREATE INDEX archive_exceptions_state ON archive_exceptions (state);
        CREATE INDEX records_source_ip ON records (source_ip);
        """,
        // 9: what the record-changed alert compares with (the DMARC and SPF record of each domain we own as last seen
        // in DNS, '' when there was none), and the digests sent (dmarc digest): a second run for the same week sends
        // nothing to whom it already went.
        """
        CREATE TABLE published_records (
            domain   TEXT NOT NULL,
            kind     TEXT NOT NULL,         -- 'dmarc' or 'spf'
            text     TEXT NOT NULL,
            seen_utc INTEGER NOT NULL,
            PRIMARY KEY (domain, kind)
        ) WITHOUT ROWID;
        CREATE TABLE digests_sent (
            week      TEXT NOT NULL,        -- YYYY-Www
            domain    TEXT NOT NULL,
            recipient TEXT NOT NULL,        -- lower case
            sent_utc  INTEGER NOT NULL,
            PRIMARY KEY (week, domain, recipient)
        ) WITHOUT ROWID;
        """,
        // 10: the dashboard's administration. Known senders marked from the dashboard, one row per address range or
        // PTR domain (the analysis reads them beside Analysis:KnownSenders); users an administrator has disabled.
        """
        CREATE TABLE known_senders (
            id        INTEGER PRIMARY KEY,
            name      TEXT NOT NULL,
            kind      TEXT NOT NULL,            -- 'range' (CIDR) or 'ptr-domain'
            value     TEXT NOT NULL,
            added_by  TEXT NOT NULL,
            added_utc INTEGER NOT NULL,
            UNIQUE (kind, value)
        );
        ALTER TABLE users ADD COLUMN disabled_utc INTEGER;
        """,
        // 11: a sign-in session ends when what it was granted on changes. stamp counts the changes of a user's password,
        // role and enabled state, and a sign-in cookie carries the stamp it was issued with; the trigger keeps the count
        // whatever writes the row (dmarc user add, the users page). Failed sign-ins are forgotten by age for every name.
        """
        ALTER TABLE users ADD COLUMN stamp INTEGER NOT NULL DEFAULT 0;
        CREATE TRIGGER users_stamp AFTER UPDATE OF role, password_hash, disabled_utc ON users
        WHEN OLD.role IS NOT NEW.role OR OLD.password_hash IS NOT NEW.password_hash OR OLD.disabled_utc IS NOT NEW.disabled_utc
        BEGIN
            UPDATE users SET stamp = OLD.stamp + 1 WHERE name = OLD.name;
        END;
        CREATE INDEX sign_in_failures_time ON sign_in_failures (time_utc);
        """,
        // 12: what the DKIM signatures of the mail a report came in said about its sender (red-team F9): auth is the
        // verdict ('verified', 'signed-other-domain', 'unsigned', 'failed', 'not-mail', 'dns-unavailable'; NULL for a
        // report stored before, not known), auth_domains the d= of the signatures that verified (comma-separated), and
        // mail_from_domain the domain of the mail's From.
        """
        ALTER TABLE reports ADD COLUMN auth TEXT;
        ALTER TABLE reports ADD COLUMN auth_domains TEXT;
        ALTER TABLE reports ADD COLUMN mail_from_domain TEXT;
        ALTER TABLE tls_reports ADD COLUMN auth TEXT;
        ALTER TABLE tls_reports ADD COLUMN auth_domains TEXT;
        ALTER TABLE tls_reports ADD COLUMN mail_from_domain TEXT;
        ALTER TABLE failure_reports ADD COLUMN auth TEXT;
        ALTER TABLE failure_reports ADD COLUMN auth_domains TEXT;
        ALTER TABLE failure_reports ADD COLUMN mail_from_domain TEXT;
        """,
        // 13: PostgreSQL partitions records and verdicts by month (Postgres/PgSchema.cs), so that retention drops whole
        // months; SQLite has no partitions and deletes rows, so nothing changes here. The number is kept in step.
        "SELECT 1",
        // 14: a record's flags (RecordFlags: aligned results, disposition, forwarded, ARC-accepted, own DKIM signature,
        // further own signatures) and its first own signing domain, computed once: by ingest (IngestedFlags) for new
        // rows, here for stored ones, so `dmarc report` reads columns instead of looking up each failure's reasons,
        // results and From domain (bench/README.md). records_flags_missing finds rows a dmarc older than this stores
        // later; records_further_signers the few records whose further DKIM signatures name a signer of their own.
        $"""
        ALTER TABLE records ADD COLUMN flags INTEGER;
        ALTER TABLE records ADD COLUMN own_signer TEXT;
        {RecordQueries.FillFlagsSql};
        CREATE INDEX records_flags_missing ON records(flags) WHERE flags IS NULL;
        CREATE INDEX records_further_signers ON records(report) WHERE flags & 128 <> 0;
        """,
        // 15: PostgreSQL indexes records on (source_ip, id) for the source page (Postgres/PgSchema.cs); SQLite's index on
        // source_ip already holds the rowid, which is the id, so it walks a source's newest records as it is.
        "SELECT 1",
        // 16: PostgreSQL makes one month's partitions at a time (Postgres/PgSchema.cs); SQLite has none. Kept in step.
        "SELECT 1",
    ];
}
