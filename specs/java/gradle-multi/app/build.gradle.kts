dependencies {
    "implementation"(project(":libs:greeting"))
}

// A runnable jar holding its project dependencies (build/libs/app.jar): java -jar app.jar
tasks.named<Jar>("jar") {
    manifest {
        attributes("Main-Class" to "com.acme.app.Main")
    }
    val runtime = configurations.named("runtimeClasspath")
    dependsOn(runtime)
    from(runtime.map { files -> files.map { if (it.isDirectory) it else zipTree(it) } })
    duplicatesStrategy = DuplicatesStrategy.EXCLUDE
}
