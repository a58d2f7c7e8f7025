//! `pyred-corpus`: writes a deterministic benchmark corpus in the JSON Lines format of
//! `shared/data/FORMAT.md` (`companies.jsonl`, `opportunities.jsonl`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Generates N firms and M listings in French and Spanish from a seed.
#[derive(Debug, Parser)]
#[command(name = "pyred-corpus")]
struct Args {
    /// Seed: the same seed and counts give the same bytes.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Firms.
    #[arg(long, default_value_t = 1_000)]
    companies: u64,
    /// Listings.
    #[arg(long, default_value_t = 9_000)]
    opportunities: u64,
    /// Output directory (created).
    #[arg(long)]
    out: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match pyred_bench::corpus::write_corpus(
        &args.out,
        args.seed,
        args.companies,
        args.opportunities,
    ) {
        Ok(()) => {
            eprintln!(
                "wrote {} firms and {} listings to {}",
                args.companies,
                args.opportunities,
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("pyred-corpus: {error:#}");
            ExitCode::FAILURE
        }
    }
}
