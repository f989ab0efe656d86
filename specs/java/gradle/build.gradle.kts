plugins {
    java
}

// Bytecode for Java 17: any JRE from 17 on runs it, whatever JDK Gradle runs on.
tasks.withType<JavaCompile>().configureEach {
    options.release.set(17)
    options.encoding = "UTF-8"
}

// A runnable jar (build/libs/hello.jar): java -jar hello.jar
tasks.jar {
    manifest {
        attributes("Main-Class" to "example.hello.Main")
    }
}
