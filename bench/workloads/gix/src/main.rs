fn main() {
    let repo = gix::discover(".").expect("a git repository");
    let head = repo.head_commit().expect("a HEAD commit");
    println!("{} {}", head.id(), head.message_raw_sloppy());
}
