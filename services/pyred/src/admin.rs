//! `pyred keys`, `pyred orgs` and `pyred audit`: the admin's commands for API keys,
//! organisations and the audit log.
//!
//! Keys are created, listed, rotated and revoked at the registry (`pyred.v1.Access`);
//! a new or rotated key's secret is printed once and never again. Organisations (the
//! chambers and agencies advisers belong to) are created, listed and updated there too.
//! `pyred audit` reads the audit log of every service and prints it merged, newest first.

use std::process::ExitCode;

use pyred_proto::v1 as pb;
use pyred_proto::v1::access_client::AccessClient;
use pyred_proto::v1::audit_client::AuditClient;
use pyred_runtime::Settings;
use pyred_runtime::client::Connector;
use pyred_runtime::error::violations_of;

use crate::stack::StackAddresses;

/// `pyred keys …`.
#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Create a key and print it once.
    Create {
        /// admin, adviser, firm or agency.
        #[arg(long)]
        role: String,
        /// A label for people.
        #[arg(long, default_value = "")]
        name: String,
        /// Adviser: a region of the territory (repeat: --territory FR-32 --territory ES-AR).
        #[arg(long)]
        territory: Vec<String>,
        /// Firm: its company's registry id.
        #[arg(long)]
        company: Option<String>,
        /// Agency: its publisher code.
        #[arg(long)]
        source: Option<String>,
        /// The holder's e-mail address (an adviser's daily digest goes there).
        #[arg(long, value_name = "ADDRESS")]
        email: Option<String>,
        /// fr, es or en: the language of what Pyred sends the holder (default fr).
        #[arg(long, value_name = "fr|es|en")]
        language: Option<String>,
        /// Adviser: the organisation's id (`cci-gers`); without --territory the key takes
        /// the organisation's territory.
        #[arg(long, value_name = "ID")]
        organisation: Option<String>,
    },
    /// List keys (never their secrets).
    List {
        /// Include revoked keys.
        #[arg(long)]
        all: bool,
    },
    /// Give a key a new secret (printed once); the old one stops at once.
    Rotate {
        /// Key id.
        id: String,
    },
    /// Revoke a key for good.
    Revoke {
        /// Key id.
        id: String,
    },
}

/// `pyred orgs …`.
#[derive(Debug, clap::Args)]
pub struct OrgsArgs {
    #[command(subcommand)]
    command: OrgsCommand,
}

/// The fields of an organisation, shared by `create` and `update`.
#[derive(Debug, clap::Args)]
struct OrgFields {
    /// Identifier: 2 to 32 lowercase letters, digits and dashes (`cci-gers`).
    #[arg(long)]
    id: String,
    /// Name for people (`CCI Gers`).
    #[arg(long)]
    name: String,
    /// FR or ES.
    #[arg(long)]
    country: String,
    /// A region followed (repeat: --territory ES-AR --territory ES-RI).
    #[arg(long, required = true)]
    territory: Vec<String>,
    /// A publisher code of the listings followed (repeat: --source arex).
    #[arg(long)]
    source: Vec<String>,
    /// fr, es or en: the advisers' language by default (default: the country's).
    #[arg(long, value_name = "fr|es|en")]
    language: Option<String>,
    /// Where cases addressed to the organisation are announced.
    #[arg(long, value_name = "ADDRESS")]
    email: Option<String>,
}

impl OrgFields {
    fn to_pb(&self, version: i64) -> pb::Organisation {
        pb::Organisation {
            id: self.id.clone(),
            name: self.name.clone(),
            country: self.country.clone(),
            territory: self.territory.clone(),
            sources: self.source.clone(),
            language: self.language.clone().unwrap_or_default(),
            email: self.email.clone().unwrap_or_default(),
            version,
            created_at: None,
            updated_at: None,
        }
    }
}

#[derive(Debug, clap::Subcommand)]
enum OrgsCommand {
    /// Create an organisation.
    Create(OrgFields),
    /// List the organisations.
    List,
    /// Replace an organisation's name, territory, sources, language and e-mail (its
    /// country stays).
    Update {
        #[command(flatten)]
        fields: OrgFields,
        /// The version read by `pyred orgs list`: an update made meanwhile is not lost.
        #[arg(long)]
        version: i64,
    },
}

/// `pyred audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Only this key's events.
    #[arg(long)]
    key_id: Option<String>,
    /// Only objects starting with this (`company/`, `match/…`).
    #[arg(long)]
    object: Option<String>,
    /// Most events per service.
    #[arg(long, default_value_t = 50)]
    limit: i32,
}

fn addresses(settings: &Settings) -> (String, String, String) {
    match StackAddresses::read(&settings.data_dir) {
        Ok(Some(found)) => (found.registry, found.geo_search, found.matchmaking),
        _ => (
            settings.registry.url.clone(),
            settings.geo_search.url.clone(),
            settings.matchmaking.url.clone(),
        ),
    }
}

fn role_of(text: &str) -> Option<pb::Role> {
    pyred_access::Role::parse(&text.to_ascii_lowercase()).map(pyred_access::Role::to_pb)
}

fn role_name(value: i32) -> &'static str {
    pyred_access::Role::from_pb(value).map_or("?", pyred_access::Role::as_str)
}

fn date(timestamp: Option<&pyred_proto::prost_types::Timestamp>) -> String {
    timestamp.map_or_else(String::new, |t| {
        let days = t.seconds.div_euclid(86_400);
        let seconds = t.seconds.rem_euclid(86_400);
        let day = pyred_domain::Day::from_days_since_epoch(days)
            .map_or_else(|_| "?".to_owned(), |day| day.to_string());
        format!(
            "{day} {:02}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )
    })
}

/// The `pyred keys create` flag of a `CreateKeyRequest` field a violation names
/// (`territory[1]` → `--territory`).
fn flag_of(field: &str) -> &str {
    match field.split('[').next().unwrap_or(field) {
        "name" => "--name",
        "role" => "--role",
        "territory" => "--territory",
        "company_id" => "--company",
        "source" => "--source",
        "email" => "--email",
        "language" => "--language",
        "organisation" => "--organisation",
        "organisation.id" => "--id",
        "organisation.name" => "--name",
        "organisation.country" => "--country",
        "organisation.territory" => "--territory",
        "organisation.sources" => "--source",
        "organisation.language" => "--language",
        "organisation.email" => "--email",
        _ => field,
    }
}

fn print_key(key: &pb::ApiKey) {
    let scope = match pyred_access::Role::from_pb(key.role) {
        Some(pyred_access::Role::Adviser) if !key.organisation.is_empty() => {
            format!("{}:{}", key.organisation, key.territory.join(","))
        }
        Some(pyred_access::Role::Adviser) => key.territory.join(","),
        Some(pyred_access::Role::Firm) => key.company_id.clone(),
        Some(pyred_access::Role::Agency) => key.source.clone(),
        _ => String::new(),
    };
    let state = if key.revoked_at.is_some() {
        format!("révoquée {}", date(key.revoked_at.as_ref()))
    } else {
        "active".to_owned()
    };
    let email = if key.email.is_empty() {
        "-"
    } else {
        &key.email
    };
    println!(
        "{:<12}  {:<8} {:<16} {:<28} {:<32} {:<2}  {}  créée {}",
        key.id,
        role_name(key.role),
        scope,
        key.name,
        email,
        key.language,
        state,
        date(key.created_at.as_ref())
    );
}

fn report(status: &tonic::Status) -> ExitCode {
    eprintln!("pyred: {} ({:?})", status.message(), status.code());
    for (field, reason) in violations_of(status) {
        eprintln!("  {} : {reason}", flag_of(&field));
    }
    ExitCode::FAILURE
}

/// A client of the registry's `pyred.v1.Access`, or the exit status of a bad address.
fn access_client(
    settings: &Settings,
    connector: &Connector,
) -> Result<AccessClient<pyred_runtime::client::ServiceChannel>, ExitCode> {
    let (registry, _, _) = addresses(settings);
    match connector.channel(&registry) {
        Ok(channel) => Ok(AccessClient::new(channel)),
        Err(error) => {
            eprintln!("pyred: {error}");
            Err(ExitCode::from(2))
        }
    }
}

fn print_organisation(organisation: &pb::Organisation) {
    let sources = if organisation.sources.is_empty() {
        "-".to_owned()
    } else {
        organisation.sources.join(",")
    };
    let email = if organisation.email.is_empty() {
        "-"
    } else {
        &organisation.email
    };
    println!(
        "{:<16} {:<28} {:<2}  {:<16} {:<16} {:<2}  {:<32} v{}  modifiée {}",
        organisation.id,
        organisation.name,
        organisation.country,
        organisation.territory.join(","),
        sources,
        organisation.language,
        email,
        organisation.version,
        date(organisation.updated_at.as_ref())
    );
}

/// Runs `pyred orgs`.
pub async fn orgs(settings: &Settings, connector: &Connector, args: &OrgsArgs) -> ExitCode {
    let mut access = match access_client(settings, connector) {
        Ok(access) => access,
        Err(code) => return code,
    };
    let written = match &args.command {
        OrgsCommand::List => {
            return match access
                .list_organisations(pb::ListOrganisationsRequest {})
                .await
            {
                Ok(listed) => {
                    for organisation in &listed.get_ref().organisations {
                        print_organisation(organisation);
                    }
                    ExitCode::SUCCESS
                }
                Err(status) => report(&status),
            };
        }
        OrgsCommand::Create(fields) => {
            access
                .create_organisation(pb::CreateOrganisationRequest {
                    organisation: Some(fields.to_pb(0)),
                })
                .await
        }
        OrgsCommand::Update { fields, version } => {
            access
                .update_organisation(pb::UpdateOrganisationRequest {
                    organisation: Some(fields.to_pb(*version)),
                })
                .await
        }
    };
    match written {
        Ok(organisation) => {
            let organisation = organisation.into_inner();
            print_organisation(&organisation);
            println!(
                "Organisation {} enregistrée (version {}).",
                organisation.id, organisation.version
            );
            ExitCode::SUCCESS
        }
        Err(status) => report(&status),
    }
}

/// Runs `pyred keys`.
pub async fn keys(settings: &Settings, connector: &Connector, args: &KeysArgs) -> ExitCode {
    let mut access = match access_client(settings, connector) {
        Ok(access) => access,
        Err(code) => return code,
    };
    let issued = match &args.command {
        KeysCommand::Create {
            role,
            name,
            territory,
            company,
            source,
            email,
            language,
            organisation,
        } => {
            let Some(role) = role_of(role) else {
                eprintln!("pyred: --role doit valoir admin, adviser, firm ou agency");
                return ExitCode::from(2);
            };
            access
                .create_key(pb::CreateKeyRequest {
                    name: name.clone(),
                    role: role as i32,
                    territory: territory.clone(),
                    company_id: company.clone().unwrap_or_default(),
                    source: source.clone().unwrap_or_default(),
                    email: email.clone().unwrap_or_default(),
                    organisation: organisation.clone().unwrap_or_default(),
                    language: language.clone().unwrap_or_default(),
                })
                .await
        }
        KeysCommand::Rotate { id } => {
            access
                .rotate_key(pb::RotateKeyRequest { id: id.clone() })
                .await
        }
        KeysCommand::List { all } => {
            return match access
                .list_keys(pb::ListKeysRequest {
                    include_revoked: *all,
                })
                .await
            {
                Ok(listed) => {
                    for key in &listed.get_ref().keys {
                        print_key(key);
                    }
                    ExitCode::SUCCESS
                }
                Err(status) => report(&status),
            };
        }
        KeysCommand::Revoke { id } => {
            return match access
                .revoke_key(pb::RevokeKeyRequest { id: id.clone() })
                .await
            {
                Ok(revoked) => {
                    println!("Clé {} révoquée.", revoked.get_ref().id);
                    ExitCode::SUCCESS
                }
                Err(status) => report(&status),
            };
        }
    };
    match issued {
        Ok(issued) => {
            let issued = issued.into_inner();
            if let Some(key) = &issued.key {
                print_key(key);
            }
            println!("Clé (affichée une seule fois, à transmettre par un canal sûr) :");
            println!("{}", issued.secret);
            ExitCode::SUCCESS
        }
        Err(status) => report(&status),
    }
}

/// Runs `pyred audit`.
pub async fn audit(settings: &Settings, connector: &Connector, args: &AuditArgs) -> ExitCode {
    let (registry, geo_search, matchmaking) = addresses(settings);
    let mut events = Vec::new();
    let mut failed = false;
    for (service, url) in [
        ("company-registry", registry),
        ("geo-search", geo_search),
        ("matchmaking", matchmaking),
    ] {
        let channel = match connector.channel(&url) {
            Ok(channel) => channel,
            Err(error) => {
                eprintln!("pyred: {service}: {error}");
                failed = true;
                continue;
            }
        };
        match AuditClient::new(channel)
            .list_audit_events(pb::ListAuditEventsRequest {
                key_id: args.key_id.clone().unwrap_or_default(),
                object_prefix: args.object.clone().unwrap_or_default(),
                before_seq: 0,
                limit: args.limit,
            })
            .await
        {
            Ok(listed) => events.extend(
                listed
                    .into_inner()
                    .events
                    .into_iter()
                    .map(|event| (service, event)),
            ),
            Err(status) => {
                eprintln!("pyred: {service}: {}", status.message());
                failed = true;
            }
        }
    }
    let at = |event: &pb::AuditEvent| event.at.as_ref().map_or((0, 0), |t| (t.seconds, t.nanos));
    events.sort_by_key(|(_, event)| std::cmp::Reverse(at(event)));
    for (service, event) in &events {
        println!(
            "{}  {:<16} {:<12} {:<8} {:<50} {:<40} {}",
            date(event.at.as_ref()),
            service,
            event.key_id,
            role_name(event.role),
            event.rpc,
            event.object,
            event.outcome
        );
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
