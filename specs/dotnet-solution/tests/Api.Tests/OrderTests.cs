using Shop.Domain;
using Xunit;

public class OrderTests
{
    [Fact]
    public void DescribesTheOrder() => Assert.Equal("order 7\n", Order.Describe(7));
}
