use std::{env, thread, time::Duration};

fn main() {
    let queue = env::args().skip_while(|a| a != "--queue").nth(1).unwrap_or("default".into());
    loop {
        println!("worker: polling queue {queue}");
        thread::sleep(Duration::from_secs(5));
    }
}
