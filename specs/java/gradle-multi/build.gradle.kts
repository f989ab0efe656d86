// Shared by every project: Java 17 bytecode, UTF-8 sources.
subprojects {
    apply(plugin = "java")
    tasks.withType<JavaCompile>().configureEach {
        options.release.set(17)
        options.encoding = "UTF-8"
    }
}
