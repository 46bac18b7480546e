fn main() {
    println!("rustyjack");
}
